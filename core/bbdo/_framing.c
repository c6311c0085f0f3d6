/* Optional accelerator: the usual packets of a BBDO stream into events.
 *
 * packets(data, pos, base, raw_type) -> (events, pos)
 * decode_run(raws, start, decoders, events, offsets, room) -> index    (below: PeerSession._handle's loop)
 *
 * From offset `pos` of `data` (bytes), reads packets while they are the usual kind: a whole
 * header whose CRC-16/X-25 matches, a payload under 0xFFFF bytes (not part of a split event), all
 * of it in `data`. Each becomes `raw_type(event_id, source_id, destination_id, payload, offset)`
 * (RawEvent, a tuple subclass), `offset` being `base + ` its position. It stops at the first
 * packet that is not of that kind -- a bad checksum, a split event's packet, one not arrived
 * whole -- and returns where it stopped: framing.py's Python loop, which stays the reference,
 * handles that one (resynchronisation, partial events, waiting for more) and calls this again.
 * tests/bbdo/test_framing_accel.py holds both paths to the same events, offsets and counters.
 *
 * Why: the per-packet Python (unpack, checksum, slice, tuple) was a tenth of the daemon's CPU on
 * the benchmark VM (docs/bbdo-source.md, section 8).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define HEADER_SIZE 16
#define MAX_PACKET_SIZE 0xFFFF

static uint16_t crc_table[256];

static void
make_crc_table(void)
{
    for (unsigned byte = 0; byte < 256; byte++) {
        uint16_t crc = (uint16_t)byte;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
        crc_table[byte] = crc;
    }
}

/* CRC-16/X-25: reflected 0x1021, init 0xFFFF, final XOR 0xFFFF (crc.py's crc16_x25). */
static uint16_t
crc16_x25(const unsigned char *data, Py_ssize_t size)
{
    uint16_t crc = 0xFFFF;
    for (Py_ssize_t i = 0; i < size; i++)
        crc = (uint16_t)((crc >> 8) ^ crc_table[(crc ^ data[i]) & 0xFF]);
    return (uint16_t)(crc ^ 0xFFFF);
}

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static PyObject *
framing_packets(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "packets(data, pos, base, raw_type)");
        return NULL;
    }
    PyObject *data = args[0];
    PyTypeObject *raw_type = (PyTypeObject *)args[3];
    if (!PyBytes_CheckExact(data) || !PyType_Check(args[3]) || !PyType_IsSubtype(raw_type, &PyTuple_Type)
        || raw_type->tp_itemsize != sizeof(PyObject *)) {
        PyErr_SetString(PyExc_TypeError, "packets: bytes, a position, a base offset, a tuple subclass");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred())
        return NULL;
    long long base = PyLong_AsLongLong(args[2]);
    if (base == -1 && PyErr_Occurred())
        return NULL;
    const unsigned char *buf = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t end = PyBytes_GET_SIZE(data);
    if (pos < 0 || pos > end) {
        PyErr_SetString(PyExc_ValueError, "packets: position outside the data");
        return NULL;
    }

    PyObject *events = PyList_New(0);
    if (events == NULL)
        return NULL;
    while (end - pos >= HEADER_SIZE) {
        const unsigned char *header = buf + pos;
        uint16_t checksum = (uint16_t)(header[0] << 8 | header[1]);
        Py_ssize_t size = (Py_ssize_t)(header[2] << 8 | header[3]);
        if (size >= MAX_PACKET_SIZE || end - pos - HEADER_SIZE < size
            || crc16_x25(header + 2, HEADER_SIZE - 2) != checksum)
            break;  /* not a usual packet: framing.py decides */
        PyObject *items[5] = {
            PyLong_FromUnsignedLong(be32(header + 4)),
            PyLong_FromUnsignedLong(be32(header + 8)),
            PyLong_FromUnsignedLong(be32(header + 12)),
            PyBytes_FromStringAndSize((const char *)header + HEADER_SIZE, size),
            PyLong_FromLongLong(base + (long long)pos),
        };
        /* As tuple.__new__(raw_type, items) builds it: a tuple subclass of 5 items. */
        PyObject *event = NULL;
        int missing = 0;
        for (int i = 0; i < 5; i++)
            missing |= items[i] == NULL;
        if (!missing)
            event = raw_type->tp_alloc(raw_type, 5);
        if (event == NULL) {
            for (int i = 0; i < 5; i++)
                Py_XDECREF(items[i]);
            goto error;
        }
        for (int i = 0; i < 5; i++)
            PyTuple_SET_ITEM(event, i, items[i]);
        if (PyList_Append(events, event) < 0) {
            Py_DECREF(event);
            goto error;
        }
        Py_DECREF(event);
        pos += HEADER_SIZE + size;
    }
    PyObject *result = Py_BuildValue("(Nn)", events, pos);
    return result;

error:
    Py_DECREF(events);
    return NULL;
}

static PyObject *
framing_crc16_x25(PyObject *module, PyObject *data)
{
    (void)module;
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    uint16_t crc = crc16_x25((const unsigned char *)view.buf, view.len);
    PyBuffer_Release(&view);
    return PyLong_FromLong(crc);
}

/* decode_run(raws, start, decoders, events, offsets, room) -> index
 *
 * PeerSession._handle's usual event, from raws[start] on (raws: a list of RawEvent): not a BBDO
 * control message, its payload kept (bytes), a decoder for its type in `decoders`; the decoder
 * answers, and the event goes to `events`, its offset to `offsets`. Stops before the first raw
 * that is not of that kind, or whose decoder raised an Exception (it is cleared: _handle's Python,
 * the reference, decodes that one again and deals with it), or once `room` events were added;
 * returns the index it stopped at. Any other exception goes up.
 *
 * Why: the Python loop around each decode was about a fifth of the bbdo-peer thread's work
 * (docs/delivery.md, "Tenth round"). */
#define CATEGORY_BBDO 2

static PyObject *
framing_decode_run(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 6 || !PyList_CheckExact(args[0]) || !PyDict_CheckExact(args[2]) || !PyList_Check(args[3])
        || !PyList_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "decode_run(raws: list, start, decoders: dict, events: list, "
                                         "offsets: list, room)");
        return NULL;
    }
    PyObject *raws = args[0], *decoders = args[2], *events = args[3], *offsets = args[4];
    Py_ssize_t index = PyLong_AsSsize_t(args[1]);
    if (index == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t room = PyLong_AsSsize_t(args[5]);
    if (room == -1 && PyErr_Occurred())
        return NULL;
    if (index < 0)
        index = 0;
    for (; index < PyList_GET_SIZE(raws) && room > 0; index++) {
        PyObject *raw = PyList_GET_ITEM(raws, index);
        if (!PyTuple_Check(raw) || PyTuple_GET_SIZE(raw) != 5)
            break;
        PyObject *event_id = PyTuple_GET_ITEM(raw, 0), *payload = PyTuple_GET_ITEM(raw, 3);
        if (!PyLong_CheckExact(event_id) || !PyBytes_CheckExact(payload))
            break; /* an oversized event (no payload), or not what the reader makes */
        long id = PyLong_AsLong(event_id);
        if (id == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            break;
        }
        if ((id >> 16) == CATEGORY_BBDO)
            break; /* a control message: stop, ack, version... */
        PyObject *decoder = PyDict_GetItemWithError(decoders, event_id); /* borrowed */
        if (decoder == NULL) {
            if (PyErr_Occurred())
                return NULL;
            break; /* an unknown type */
        }
        Py_INCREF(raw); /* held: a decoder is any callable */
        Py_INCREF(decoder);
        PyObject *event = PyObject_Vectorcall(decoder, &payload, 1, NULL);
        Py_DECREF(decoder);
        if (event == NULL) {
            Py_DECREF(raw);
            if (!PyErr_ExceptionMatches(PyExc_Exception))
                return NULL;
            PyErr_Clear();
            break;
        }
        int failed = PyList_Append(events, event) < 0 || PyList_Append(offsets, PyTuple_GET_ITEM(raw, 4)) < 0;
        Py_DECREF(event);
        Py_DECREF(raw);
        if (failed)
            return NULL; /* no memory: the event may be in `events` without its offset; the session ends */
        room--;
    }
    return PyLong_FromSsize_t(index);
}

static PyMethodDef framing_methods[] = {
    {"packets", (PyCFunction)(void (*)(void))framing_packets, METH_FASTCALL,
     "packets(data, pos, base, raw_type) -> (events, pos): the usual packets from pos on"},
    {"decode_run", (PyCFunction)(void (*)(void))framing_decode_run, METH_FASTCALL,
     "decode_run(raws, start, decoders, events, offsets, room) -> index: the usual events decoded"},
    {"crc16_x25", framing_crc16_x25, METH_O, "crc16_x25(data) -> int: the CRC the walk checks (tests)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef framing_module = {
    PyModuleDef_HEAD_INIT, "_framing", "BBDO packets into events (optional accelerator).", 0,
    framing_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__framing(void)
{
    make_crc_table();
    return PyModule_Create(&framing_module);
}
