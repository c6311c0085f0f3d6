/* Optional accelerator: BBDO 3 payloads of simple protobuf messages straight into event dicts.
 *
 * spec = check_spec((template, keys, kinds, subs, fresh))   once per message type (pb.py)
 * decode(spec, fallback, payload) -> dict                   per event
 *
 * The messages walked here have scalar fields and at most one level of sub-messages made of
 * scalar fields (BBDO's `header`, the repeated `tags`); no proto3 `optional` field (pb.py decides
 * which messages qualify). The payload is walked once; each value replaces the default in a copy
 * of the type's template dict.
 *
 * Anything this walk does not know for sure how protobuf (upb) would read -- a truncated or
 * over-long varint, a length past the end, a field number the message does not have, a wire type
 * that is not the field's, a group, a singular sub-message sent twice (protobuf merges them) -- is
 * not decided here: `fallback(payload)` is returned, the generated pure-Python decoder, which
 * gives protobuf's own answer or error. So whenever this returns a dict, it is the dict the
 * Python decoder returns (tests/bbdo/test_pbflat.py checks it on valid, mutated, truncated and
 * random payloads).
 *
 * Why: reading fields one by one through upb's Python attributes costs ~4 us of a ~5 us decode of
 * a service status on the benchmark VM; this does the walk and the dict in C (docs/bbdo-source.md,
 * section 8).
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
    K_MESSAGE = 8,  /* a sub-message: its dict (BBDO's header) */
    K_MESSAGES = 9, /* a repeated sub-message: a list of dicts (tags) */
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

/* A message's spec, built by pb.py: (template, keys, kinds, subs, fresh).
 *   template  dict: every key in order with its default (a sub-message's: a placeholder)
 *   keys      tuple: the key of field number n, or None
 *   kinds     bytes: the conversion of field number n (K_NONE: no such field)
 *   subs      tuple: the spec of field number n's message type (K_MESSAGE, K_MESSAGES), else None
 *   fresh     tuple: the numbers of the message fields, whose defaults are made anew per event
 */
#define SPEC_SIZE 5

static int
valid_spec(PyObject *spec, int depth)
{
    if (!PyTuple_CheckExact(spec) || PyTuple_GET_SIZE(spec) != SPEC_SIZE)
        return 0;
    PyObject *keys = PyTuple_GET_ITEM(spec, 1), *kinds = PyTuple_GET_ITEM(spec, 2);
    PyObject *subs = PyTuple_GET_ITEM(spec, 3), *fresh = PyTuple_GET_ITEM(spec, 4);
    if (!PyDict_CheckExact(PyTuple_GET_ITEM(spec, 0)) || !PyTuple_CheckExact(keys) || !PyBytes_CheckExact(kinds)
        || !PyTuple_CheckExact(subs) || !PyTuple_CheckExact(fresh))
        return 0;
    Py_ssize_t size = PyTuple_GET_SIZE(keys);
    if (PyBytes_GET_SIZE(kinds) != size || PyTuple_GET_SIZE(subs) != size)
        return 0;
    const unsigned char *kind_of = (const unsigned char *)PyBytes_AS_STRING(kinds);
    for (Py_ssize_t n = 0; n < size; n++) {
        int kind = kind_of[n];
        if (kind > K_MESSAGES || (kind != K_NONE && !PyUnicode_CheckExact(PyTuple_GET_ITEM(keys, n))))
            return 0;
        if ((kind == K_MESSAGE || kind == K_MESSAGES)
            && (depth > 0 || !valid_spec(PyTuple_GET_ITEM(subs, n), depth + 1)))
            return 0;  /* one level of sub-messages: BBDO's header and tags */
    }
    Py_ssize_t messages = 0;
    for (Py_ssize_t n = 0; n < size; n++)
        messages += kind_of[n] == K_MESSAGE || kind_of[n] == K_MESSAGES;
    if (PyTuple_GET_SIZE(fresh) != messages)  /* every message field gets a new default */
        return 0;
    for (Py_ssize_t i = 0; i < messages; i++) {
        PyObject *number = PyTuple_GET_ITEM(fresh, i);
        if (!PyLong_CheckExact(number))
            return 0;
        Py_ssize_t n = PyLong_AsSsize_t(number);
        if (n <= 0 || n >= size || (kind_of[n] != K_MESSAGE && kind_of[n] != K_MESSAGES))
            return 0;
        for (Py_ssize_t j = 0; j < i; j++)
            if (PyLong_AsSsize_t(PyTuple_GET_ITEM(fresh, j)) == n)
                return 0;
    }
    return 1;
}

/* The dict of one message; NULL with *fall_back set when protobuf should decide, NULL with an
 * exception set on a Python error (memory). */
static PyObject *
walk(PyObject *spec, const unsigned char *p, const unsigned char *end, int *fall_back)
{
    PyObject *keys = PyTuple_GET_ITEM(spec, 1), *subs = PyTuple_GET_ITEM(spec, 3);
    PyObject *fresh = PyTuple_GET_ITEM(spec, 4);
    const unsigned char *kind_of = (const unsigned char *)PyBytes_AS_STRING(PyTuple_GET_ITEM(spec, 2));
    Py_ssize_t fields = PyTuple_GET_SIZE(keys);

    PyObject *event = PyDict_Copy(PyTuple_GET_ITEM(spec, 0));
    if (event == NULL)
        return NULL;
    /* A message field's default is a new dict (or list) per event, as the Python decoder makes. */
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(fresh); i++) {
        Py_ssize_t n = PyLong_AsSsize_t(PyTuple_GET_ITEM(fresh, i));
        PyObject *value;
        if (kind_of[n] == K_MESSAGES)
            value = PyList_New(0);
        else
            value = PyDict_Copy(PyTuple_GET_ITEM(PyTuple_GET_ITEM(subs, n), 0));
        if (value == NULL || PyDict_SetItem(event, PyTuple_GET_ITEM(keys, n), value) < 0) {
            Py_XDECREF(value);
            goto error;
        }
        Py_DECREF(value);
    }
    uint64_t seen = 0;  /* singular sub-messages already read (field numbers under 64) */
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
        if (kind == K_NONE)
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
        else if (kind == K_TEXT || kind == K_MESSAGE || kind == K_MESSAGES) {
            uint64_t length;
            if (wire != 2 || !read_varint(&p, end, &length) || length > (uint64_t)(end - p))
                goto fall_back;
            const unsigned char *body = p;
            p += length;
            if (kind == K_TEXT) {
                value = PyUnicode_DecodeUTF8((const char *)body, (Py_ssize_t)length, "replace");
            }
            else {
                if (kind == K_MESSAGE) {
                    /* A second occurrence is merged into the first by protobuf: left to it. */
                    if (number >= 64 || (seen & ((uint64_t)1 << number)))
                        goto fall_back;
                    seen |= (uint64_t)1 << number;
                }
                value = walk(PyTuple_GET_ITEM(subs, (Py_ssize_t)number), body, p, fall_back);
                if (value == NULL) {
                    if (*fall_back)
                        goto fall_back;
                    goto error;
                }
                if (kind == K_MESSAGES) {
                    PyObject *items = PyDict_GetItemWithError(event, key);  /* borrowed */
                    int failed = items == NULL || !PyList_CheckExact(items) || PyList_Append(items, value) < 0;
                    Py_DECREF(value);
                    if (failed) {
                        if (!PyErr_Occurred())
                            PyErr_SetString(PyExc_SystemError, "_pbflat: a repeated field lost its list");
                        goto error;
                    }
                    continue;
                }
            }
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
        if (value == NULL)
            goto error;
        int failed = PyDict_SetItem(event, key, value);
        Py_DECREF(value);
        if (failed)
            goto error;
    }
    return event;

fall_back:
    *fall_back = 1;
error:
    Py_DECREF(event);
    return NULL;
}

#define SPEC_CAPSULE "centreon_canopsis.core.bbdo._pbflat.spec"

static PyObject *
pbflat_decode(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "decode(spec, fallback, payload)");
        return NULL;
    }
    /* Only a spec check_spec() validated: the walk trusts its shape. */
    PyObject *spec = PyCapsule_GetPointer(args[0], SPEC_CAPSULE);
    if (spec == NULL)
        return NULL;
    PyObject *fallback = args[1], *payload = args[2];
    if (!PyBytes_CheckExact(payload))  /* a bytearray or a view: the Python path takes it */
        return PyObject_CallOneArg(fallback, payload);
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(payload);
    int fall_back = 0;
    PyObject *event = walk(spec, p, p + PyBytes_GET_SIZE(payload), &fall_back);
    if (event == NULL && fall_back)
        return PyObject_CallOneArg(fallback, payload);
    return event;
}

static void
release_spec(PyObject *capsule)
{
    Py_XDECREF((PyObject *)PyCapsule_GetPointer(capsule, SPEC_CAPSULE));
}

static PyObject *
pbflat_check_spec(PyObject *module, PyObject *spec)
{
    (void)module;
    if (!valid_spec(spec, 0)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "_pbflat: not a valid message spec");
        return NULL;
    }
    PyObject *capsule = PyCapsule_New(spec, SPEC_CAPSULE, release_spec);
    if (capsule != NULL)
        Py_INCREF(spec);
    return capsule;
}

static PyMethodDef pbflat_methods[] = {
    {"decode", (PyCFunction)(void (*)(void))pbflat_decode, METH_FASTCALL,
     "decode(spec, fallback, payload) -> dict: the event dict of a payload, or fallback(payload)"},
    {"check_spec", pbflat_check_spec, METH_O,
     "check_spec(spec) -> spec: raises ValueError unless decode can walk with it (checked once)"},
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
