/* Optional accelerator: BBDO 3 payloads of flat protobuf messages straight into event dicts.
 *
 * decode(template, keys, kinds, fallback, payload) -> dict
 *
 * A "flat" message has only scalar fields: no sub-message, no repeated field, no proto3
 * `optional` (pb.py decides which messages qualify). `template` is the event dict with every key
 * in order and its default; `keys[n]` is the key of field number n (None: no such field) and
 * `kinds[n]` (bytes) its conversion. The payload is walked once and each field's value replaces
 * the template's.
 *
 * Anything this walk does not know for sure how protobuf (upb) would read -- a truncated or
 * over-long varint, a length past the end, a field number the message does not have, a wire type
 * that is not the field's, a group -- is not decided here: `fallback(payload)` is returned, the
 * generated pure-Python decoder, which gives protobuf's own answer or error. So whenever this
 * returns a dict, it is the dict the Python decoder returns (tests/bbdo/test_pbflat.py checks it
 * on valid, mutated, truncated and random payloads).
 *
 * Why: reading 32 fields one by one through upb's Python attributes costs ~4 us of a ~6 us decode
 * on the benchmark VM; this does the walk and the dict in C (docs/bbdo-source.md, section 8).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Conversions, as pb.py's MessageCodec does them. Kept in sync with pb.py's _FLAT_KINDS. */
enum {
    K_NONE = 0,
    K_INT32 = 1,    /* int32 and enum: the varint's low 32 bits, signed */
    K_INT64 = 2,    /* the varint as a signed 64-bit integer */
    K_UINT32 = 3,   /* the varint's low 32 bits, unsigned */
    K_UINT64 = 4,   /* uint64 shown signed (pb.py's _signed64): the varint as int64 */
    K_BOOL = 5,     /* varint != 0 */
    K_DOUBLE = 6,   /* 8 bytes, little-endian IEEE 754 */
    K_TEXT = 7,     /* bytes field: UTF-8 decoded, invalid sequences replaced */
};

/* Reads a varint; 0 when the buffer ends first or it is over 10 bytes, or its 10th byte carries
 * more than bit 63 (protobuf's own reading of those cases is left to the fallback). */
static int
read_varint(const unsigned char **cursor, const unsigned char *end, uint64_t *out)
{
    const unsigned char *p = *cursor;
    uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= end)
            return 0;
        unsigned char byte = *p++;
        if (shift == 63 && byte > 1)
            return 0;
        value |= (uint64_t)(byte & 0x7F) << shift;
        if (!(byte & 0x80)) {
            *cursor = p;
            *out = value;
            return 1;
        }
    }
    return 0;
}

static PyObject *
pbflat_decode(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "decode(template, keys, kinds, fallback, payload)");
        return NULL;
    }
    PyObject *template = args[0], *keys = args[1], *kinds = args[2], *fallback = args[3];
    PyObject *payload = args[4];
    if (!PyDict_CheckExact(template) || !PyTuple_CheckExact(keys) || !PyBytes_CheckExact(kinds)
        || PyTuple_GET_SIZE(keys) != PyBytes_GET_SIZE(kinds)) {
        PyErr_SetString(PyExc_TypeError, "decode: template dict, keys tuple, kinds bytes of its size");
        return NULL;
    }
    if (!PyBytes_CheckExact(payload))  /* a bytearray or a view: the Python path takes it */
        return PyObject_CallOneArg(fallback, payload);

    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(payload);
    const unsigned char *end = p + PyBytes_GET_SIZE(payload);
    const unsigned char *kind_of = (const unsigned char *)PyBytes_AS_STRING(kinds);
    Py_ssize_t fields = PyTuple_GET_SIZE(keys);

    PyObject *event = PyDict_Copy(template);
    if (event == NULL)
        return NULL;
    while (p < end) {
        uint64_t tag;
        if (!read_varint(&p, end, &tag))
            goto fall_back;
        uint64_t number = tag >> 3;
        unsigned wire = (unsigned)(tag & 7);
        if (number == 0 || number >= (uint64_t)fields)
            goto fall_back;
        int kind = kind_of[number];
        PyObject *key = PyTuple_GET_ITEM(keys, (Py_ssize_t)number);
        if (kind == K_NONE || key == Py_None)
            goto fall_back;

        PyObject *value;
        if (kind == K_DOUBLE) {
            if (wire != 1 || end - p < 8)
                goto fall_back;
            uint64_t bits = 0;
            for (int i = 7; i >= 0; i--)
                bits = (bits << 8) | p[i];
            double number_value;
            memcpy(&number_value, &bits, sizeof number_value);
            p += 8;
            value = PyFloat_FromDouble(number_value);
        }
        else if (kind == K_TEXT) {
            uint64_t length;
            if (wire != 2 || !read_varint(&p, end, &length) || length > (uint64_t)(end - p))
                goto fall_back;
            value = PyUnicode_DecodeUTF8((const char *)p, (Py_ssize_t)length, "replace");
            p += length;
        }
        else {
            uint64_t v;
            if (wire != 0 || !read_varint(&p, end, &v))
                goto fall_back;
            switch (kind) {
            case K_INT32:
                value = PyLong_FromLong((long)(int32_t)(uint32_t)v);
                break;
            case K_INT64:
            case K_UINT64:
                value = PyLong_FromLongLong((long long)(int64_t)v);
                break;
            case K_UINT32:
                value = PyLong_FromUnsignedLong((unsigned long)(uint32_t)v);
                break;
            case K_BOOL:
                value = Py_NewRef(v ? Py_True : Py_False);
                break;
            default:
                goto fall_back;  /* a kind this build does not know */
            }
        }
        if (value == NULL) {
            Py_DECREF(event);
            return NULL;
        }
        int failed = PyDict_SetItem(event, key, value);
        Py_DECREF(value);
        if (failed) {
            Py_DECREF(event);
            return NULL;
        }
    }
    return event;

fall_back:
    Py_DECREF(event);
    return PyObject_CallOneArg(fallback, payload);
}

static PyMethodDef pbflat_methods[] = {
    {"decode", (PyCFunction)(void (*)(void))pbflat_decode, METH_FASTCALL,
     "decode(template, keys, kinds, fallback, payload) -> dict: a flat protobuf message's event dict"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pbflat_module = {
    PyModuleDef_HEAD_INIT, "_pbflat", "BBDO 3 flat messages into event dicts (optional accelerator).", 0,
    pbflat_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__pbflat(void)
{
    return PyModule_Create(&pbflat_module);
}
