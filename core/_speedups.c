/* Optional accelerators of the pipeline thread's per-event work, on every source's path.
 *
 * StatusCopy(rows, status, views, usual, rest, no_rest, services, general, copy_status)(event)
 * View(rows, status, views, stored, usual, rest, ids, views_max)(key)
 * Check(kind, fallback, ...)(event)   first(calls, args)
 * Dispatch(dispatcher, reference, entries, accept, manager, context, counts, drops, ...)(event, type_id)
 * ObjectRow, Member, Variable: the name cache's configuration handlers (core/_cache_learn.c)
 *
 * A status event's fields into the name cache (core/cache.py). The C twin of the handler Cache._status_handler writes in Python, which stays the reference:
 * for an event dict with int ids in range whose object is known and which carries the usual
 * status fields and none of the others (or only the first of the others, as an object's event
 * does), it builds `usual values + the rest of the old status`,
 * stores it when it changed and drops the object's cached view. Anything else is handed to the
 * Python it mirrors, unchanged: `general(event)` for ids that are not plain ints in range (or an
 * event that is not a plain dict), `copy_status(key, event)` for an adaptive event, extra fields
 * or an old status that is not a tuple. tests/core/test_speedups.py holds both to the
 * same cache.
 *
 * Why: status events are most of the stream, and this copy was the pipeline thread's largest
 * single cost (docs/delivery.md, "Eighth round").
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>

#include "_speedups.h"

typedef struct {
    PyObject_HEAD
    PyObject *rows, *status, *views;  /* dicts */
    PyObject *usual, *rest, *no_rest; /* tuples */
    PyObject *general, *copy_status;  /* callables */
    int services;
    vectorcallfunc vectorcall;
} StatusCopy;

PyObject *host_id_name, *service_id_name;

static PyObject *
call_general(StatusCopy *self, PyObject *event)
{
    PyObject *result = PyObject_CallOneArg(self->general, event);
    if (result == NULL)
        return NULL;
    Py_DECREF(result);
    Py_RETURN_NONE;
}

static PyObject *
call_copy(StatusCopy *self, PyObject *key, PyObject *event)
{
    PyObject *args[2] = {key, event};
    PyObject *result = PyObject_Vectorcall(self->copy_status, args, 2, NULL);
    if (result == NULL)
        return NULL;
    Py_DECREF(result);
    Py_RETURN_NONE;
}

/* -- StatusCopy ---------------------------------------------------------------------------- */

/* The event's status; the key is known, the event a dict. New reference to None, or NULL. */
static PyObject *
copy_known(StatusCopy *self, PyObject *key, PyObject *event)
{
    Py_ssize_t size = PyTuple_GET_SIZE(self->usual);
    Py_ssize_t rest = PyTuple_GET_SIZE(self->rest);
    /* An object's event (pb_service, pb_host) carries the first of the rest (`acknowledged`)
     * too: it is copied after the usual fields (copy_status's second case). */
    int first_rest = 0;
    for (Py_ssize_t i = 0; i < rest; i++) {
        int found = PyDict_Contains(event, PyTuple_GET_ITEM(self->rest, i));
        if (found < 0)
            return NULL;
        if (found && i == 0)
            first_rest = 1;
        else if (found)
            return call_copy(self, key, event); /* extra status fields */
    }
    PyObject *old = PyDict_GetItemWithError(self->status, key); /* borrowed */
    if (old == NULL && PyErr_Occurred())
        return NULL;
    PyObject *tail = self->no_rest;
    Py_ssize_t tail_start = first_rest; /* no_rest[1:] is copy_status's no_later */
    if (old != NULL) {
        if (!PyTuple_CheckExact(old))
            return call_copy(self, key, event);
        tail = old;
        tail_start = size + first_rest;
    }
    Py_XINCREF(old); /* held: comparing values may run code that changes the status table */
    Py_ssize_t tail_size = PyTuple_GET_SIZE(tail) > tail_start ? PyTuple_GET_SIZE(tail) - tail_start : 0;
    Py_ssize_t head_size = size + first_rest;
    PyObject *new = PyTuple_New(head_size + tail_size);
    if (new == NULL) {
        Py_XDECREF(old);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < head_size; i++) {
        PyObject *field = i < size ? PyTuple_GET_ITEM(self->usual, i) : PyTuple_GET_ITEM(self->rest, 0);
        PyObject *value = PyDict_GetItemWithError(event, field);
        if (value == NULL) {
            Py_DECREF(new);
            Py_XDECREF(old);
            if (PyErr_Occurred())
                return NULL;
            return call_copy(self, key, event); /* an adaptive event: some fields only */
        }
        Py_INCREF(value);
        PyTuple_SET_ITEM(new, i, value);
    }
    for (Py_ssize_t i = 0; i < tail_size; i++) {
        PyObject *value = PyTuple_GET_ITEM(tail, tail_start + i);
        Py_INCREF(value);
        PyTuple_SET_ITEM(new, head_size + i, value);
    }
    int changed = old == NULL ? 1 : PyObject_RichCompareBool(new, old, Py_NE);
    Py_XDECREF(old);
    if (changed < 0 || (changed && PyDict_SetItem(self->status, key, new) < 0)) {
        Py_DECREF(new);
        return NULL;
    }
    Py_DECREF(new);
    if (changed && discard(self->views, key) < 0) /* views.pop(key, None) */
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
handler_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    StatusCopy *self = (StatusCopy *)callable;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "a status handler takes the event alone");
        return NULL;
    }
    PyObject *event = args[0];
    if (!PyDict_CheckExact(event))
        return call_general(self, event);
    long long host_id, service_id;
    PyObject *host = PyDict_GetItemWithError(event, host_id_name);
    if (host == NULL && PyErr_Occurred())
        return NULL;
    PyObject *key;
    if (self->services) {
        PyObject *service = PyDict_GetItemWithError(event, service_id_name);
        if (service == NULL && PyErr_Occurred())
            return NULL;
        if (!plain_id(host, &host_id) || !plain_id(service, &service_id))
            return call_general(self, event);
        key = PyLong_FromLongLong(host_id << 32 | service_id);
        if (key == NULL)
            return NULL;
    } else {
        if (host == NULL || !PyLong_CheckExact(host))
            return call_general(self, event);
        key = Py_NewRef(host); /* any int: the Python handler has no range check for hosts */
    }
    PyObject *result;
    int known = PyDict_Contains(self->rows, key);
    if (known < 0)
        result = NULL;
    else if (!known)
        result = Py_NewRef(Py_None);
    else
        result = copy_known(self, key, event);
    Py_DECREF(key);
    return result;
}

static int
handler_init(StatusCopy *self, PyObject *args, PyObject *kwargs)
{
    PyObject *rows, *status, *views, *usual, *rest, *no_rest, *general, *copy_status;
    int services;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "StatusCopy takes positional arguments only");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!pOO:StatusCopy", &PyDict_Type, &rows, &PyDict_Type, &status,
                          &PyDict_Type, &views, &PyTuple_Type, &usual, &PyTuple_Type, &rest, &PyTuple_Type,
                          &no_rest, &services, &general, &copy_status))
        return -1;
    if (!PyCallable_Check(general) || !PyCallable_Check(copy_status) || !PyDict_CheckExact(rows)
        || !PyDict_CheckExact(status) || !PyDict_CheckExact(views)) {
        PyErr_SetString(PyExc_TypeError, "StatusCopy: plain dicts, and callable general and copy_status");
        return -1;
    }
    PyObject *fields[2] = {usual, rest};
    for (int f = 0; f < 2; f++)
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(fields[f]); i++)
            if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(fields[f], i))) {
                PyErr_SetString(PyExc_TypeError, "StatusCopy: field names must be str");
                return -1;
            }
    Py_XSETREF(self->rows, Py_NewRef(rows));
    Py_XSETREF(self->status, Py_NewRef(status));
    Py_XSETREF(self->views, Py_NewRef(views));
    Py_XSETREF(self->usual, Py_NewRef(usual));
    Py_XSETREF(self->rest, Py_NewRef(rest));
    Py_XSETREF(self->no_rest, Py_NewRef(no_rest));
    Py_XSETREF(self->general, Py_NewRef(general));
    Py_XSETREF(self->copy_status, Py_NewRef(copy_status));
    self->services = services;
    self->vectorcall = handler_call;
    return 0;
}

static int
handler_traverse(StatusCopy *self, visitproc visit, void *arg)
{
    Py_VISIT(self->rows);
    Py_VISIT(self->status);
    Py_VISIT(self->views);
    Py_VISIT(self->usual);
    Py_VISIT(self->rest);
    Py_VISIT(self->no_rest);
    Py_VISIT(self->general);
    Py_VISIT(self->copy_status);
    return 0;
}

static int
handler_clear(StatusCopy *self)
{
    Py_CLEAR(self->rows);
    Py_CLEAR(self->status);
    Py_CLEAR(self->views);
    Py_CLEAR(self->usual);
    Py_CLEAR(self->rest);
    Py_CLEAR(self->no_rest);
    Py_CLEAR(self->general);
    Py_CLEAR(self->copy_status);
    return 0;
}

static void
handler_dealloc(StatusCopy *self)
{
    PyObject_GC_UnTrack(self);
    handler_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
handler_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    (void)args;
    (void)kwargs;
    StatusCopy *self = (StatusCopy *)type->tp_alloc(type, 0);
    if (self != NULL)
        self->vectorcall = NULL; /* set by __init__: calling an uninitialised handler fails */
    return (PyObject *)self;
}

static PyObject *
handler_tp_call(PyObject *callable, PyObject *args, PyObject *kwargs)
{
    StatusCopy *self = (StatusCopy *)callable;
    if (self->rows == NULL) {
        PyErr_SetString(PyExc_TypeError, "StatusCopy was not initialised");
        return NULL;
    }
    return PyVectorcall_Call(callable, args, kwargs);
}

static PyTypeObject StatusCopyType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "centreon_canopsis.core._speedups.StatusCopy",
    .tp_basicsize = sizeof(StatusCopy),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "A status event into the name cache (the C twin of Cache._status_handler's handler).",
    .tp_new = handler_new,
    .tp_init = (initproc)handler_init,
    .tp_dealloc = (destructor)handler_dealloc,
    .tp_traverse = (traverseproc)handler_traverse,
    .tp_clear = (inquiry)handler_clear,
    .tp_call = handler_tp_call,
    .tp_vectorcall_offset = offsetof(StatusCopy, vectorcall),
};

/* -- View ----------------------------------------------------------------------------------- */

/* View(rows, status, views, stored, usual, rest, ids, views_max, fallback)(key): Objects.view in C;
 * its Python (`fallback`, Objects._view) stays the reference and answers whatever is not the usual
 * case (a row or a status that is not a tuple, a service key that is not an int in 0..2**64).
 * The object's dict from the views table, else built from its
 * row (absent fields, None, left out), its ids (host_id = key; or host_id, service_id = key >> 32,
 * key & 0xFFFFFFFF) and its status (the usual fields at once when none is None, then each other
 * field: None removes it), kept in the views table (cleared when it holds views_max). */
typedef struct {
    PyObject_HEAD
    PyObject *rows, *status, *views;   /* dicts */
    PyObject *stored, *usual, *rest;   /* tuples of str */
    PyObject *fallback;
    int ids;
    Py_ssize_t views_max;
    vectorcallfunc vectorcall;
} View;

/* Sets (value not None) or removes (None) each field; fields and values are read in step, up to
 * the shorter (zip). */
static int
show_fields(PyObject *view, PyObject *fields, Py_ssize_t first_field, PyObject *values, Py_ssize_t first_value)
{
    Py_ssize_t count = PyTuple_GET_SIZE(fields) - first_field;
    if (PyTuple_GET_SIZE(values) - first_value < count)
        count = PyTuple_GET_SIZE(values) - first_value;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *field = PyTuple_GET_ITEM(fields, first_field + i);
        PyObject *value = PyTuple_GET_ITEM(values, first_value + i);
        if (value != Py_None) {
            if (PyDict_SetItem(view, field, value) < 0)
                return -1;
        } else if (discard(view, field) < 0) {
            return -1;
        }
    }
    return 0;
}

static PyObject *
build_view(View *self, PyObject *key, PyObject *row)
{
    PyObject *view = PyDict_New();
    if (view == NULL)
        return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(self->stored);
    if (PyTuple_GET_SIZE(row) < count)
        count = PyTuple_GET_SIZE(row);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *value = PyTuple_GET_ITEM(row, i);
        if (value != Py_None && PyDict_SetItem(view, PyTuple_GET_ITEM(self->stored, i), value) < 0)
            goto error;
    }
    if (self->ids == 1) {
        if (PyDict_SetItem(view, host_id_name, key) < 0)
            goto error;
    } else {
        unsigned long long both = PyLong_AsUnsignedLongLong(key); /* checked by view_call */
        PyObject *host = PyLong_FromUnsignedLongLong(both >> 32);
        PyObject *service = PyLong_FromUnsignedLongLong(both & 0xFFFFFFFFULL);
        int failed = host == NULL || service == NULL || PyDict_SetItem(view, host_id_name, host) < 0
                     || PyDict_SetItem(view, service_id_name, service) < 0;
        Py_XDECREF(host);
        Py_XDECREF(service);
        if (failed)
            goto error;
    }
    PyObject *status = PyDict_GetItemWithError(self->status, key); /* borrowed */
    if (status == NULL && PyErr_Occurred())
        goto error;
    if (status != NULL) { /* a tuple: checked by view_call */
        Py_INCREF(status);
        int failed;
        Py_ssize_t size = PyTuple_GET_SIZE(self->usual);
        Py_ssize_t head = PyTuple_GET_SIZE(status) < size ? PyTuple_GET_SIZE(status) : size;
        int none_in_head = 0;
        for (Py_ssize_t i = 0; i < head; i++)
            none_in_head |= PyTuple_GET_ITEM(status, i) == Py_None;
        if (!none_in_head) {
            failed = 0;
            for (Py_ssize_t i = 0; i < head && !failed; i++)
                failed = PyDict_SetItem(view, PyTuple_GET_ITEM(self->usual, i), PyTuple_GET_ITEM(status, i)) < 0;
            if (!failed)
                failed = show_fields(view, self->rest, 0, status, head) < 0;
        } else { /* the usual fields one by one, then the rest: the status fields in order */
            failed = show_fields(view, self->usual, 0, status, 0) < 0;
            if (!failed && PyTuple_GET_SIZE(status) > size)
                failed = show_fields(view, self->rest, 0, status, size) < 0;
        }
        Py_DECREF(status);
        if (failed)
            goto error;
    }
    return view;

error:
    Py_DECREF(view);
    return NULL;
}

static PyObject *
view_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    View *self = (View *)callable;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "a view takes the key alone");
        return NULL;
    }
    PyObject *key = args[0];
    PyObject *view = PyDict_GetItemWithError(self->views, key);
    if (view != NULL)
        return Py_NewRef(view);
    if (PyErr_Occurred())
        return NULL;
    PyObject *row = PyDict_GetItemWithError(self->rows, key);
    if (row == NULL)
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    PyObject *status = PyDict_GetItemWithError(self->status, key);
    if (status == NULL && PyErr_Occurred())
        return NULL;
    int usual = PyTuple_CheckExact(row) && (status == NULL || PyTuple_CheckExact(status));
    if (usual && self->ids != 1) {
        usual = PyLong_CheckExact(key);
        if (usual && (PyLong_AsUnsignedLongLong(key) == (unsigned long long)-1 && PyErr_Occurred())) {
            PyErr_Clear();
            usual = 0;
        }
    }
    if (!usual)
        return PyObject_CallOneArg(self->fallback, key);
    Py_INCREF(row);
    view = build_view(self, key, row);
    Py_DECREF(row);
    if (view == NULL)
        return NULL;
    if (PyDict_GET_SIZE(self->views) >= self->views_max)
        PyDict_Clear(self->views);
    if (PyDict_SetItem(self->views, key, view) < 0) {
        Py_DECREF(view);
        return NULL;
    }
    return view;
}

static int
view_init(View *self, PyObject *args, PyObject *kwargs)
{
    PyObject *rows, *status, *views, *stored, *usual, *rest, *fallback;
    int ids;
    Py_ssize_t views_max;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "View takes positional arguments only");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!inO:View", &PyDict_Type, &rows, &PyDict_Type, &status,
                          &PyDict_Type, &views, &PyTuple_Type, &stored, &PyTuple_Type, &usual, &PyTuple_Type,
                          &rest, &ids, &views_max, &fallback))
        return -1;
    if ((ids != 1 && ids != 2) || views_max < 1 || !PyCallable_Check(fallback) || !PyDict_CheckExact(rows)
        || !PyDict_CheckExact(status) || !PyDict_CheckExact(views)) {
        PyErr_SetString(PyExc_ValueError, "View: plain dicts, ids 1 or 2, views_max at least 1, a callable fallback");
        return -1;
    }
    PyObject *fields[3] = {stored, usual, rest};
    for (int f = 0; f < 3; f++)
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(fields[f]); i++)
            if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(fields[f], i))) {
                PyErr_SetString(PyExc_TypeError, "View: field names must be str");
                return -1;
            }
    Py_XSETREF(self->rows, Py_NewRef(rows));
    Py_XSETREF(self->status, Py_NewRef(status));
    Py_XSETREF(self->views, Py_NewRef(views));
    Py_XSETREF(self->stored, Py_NewRef(stored));
    Py_XSETREF(self->usual, Py_NewRef(usual));
    Py_XSETREF(self->rest, Py_NewRef(rest));
    Py_XSETREF(self->fallback, Py_NewRef(fallback));
    self->ids = ids;
    self->views_max = views_max;
    self->vectorcall = view_call;
    return 0;
}

static int
view_traverse(View *self, visitproc visit, void *arg)
{
    Py_VISIT(self->rows);
    Py_VISIT(self->status);
    Py_VISIT(self->views);
    Py_VISIT(self->stored);
    Py_VISIT(self->usual);
    Py_VISIT(self->rest);
    Py_VISIT(self->fallback);
    return 0;
}

static int
view_clear(View *self)
{
    Py_CLEAR(self->rows);
    Py_CLEAR(self->status);
    Py_CLEAR(self->views);
    Py_CLEAR(self->stored);
    Py_CLEAR(self->usual);
    Py_CLEAR(self->rest);
    Py_CLEAR(self->fallback);
    return 0;
}

static void
view_dealloc(View *self)
{
    PyObject_GC_UnTrack(self);
    view_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
view_tp_call(PyObject *callable, PyObject *args, PyObject *kwargs)
{
    if (((View *)callable)->rows == NULL) {
        PyErr_SetString(PyExc_TypeError, "View was not initialised");
        return NULL;
    }
    return PyVectorcall_Call(callable, args, kwargs);
}

static PyTypeObject ViewType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "centreon_canopsis.core._speedups.View",
    .tp_basicsize = sizeof(View),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "A cached object's dict (the C twin of Objects.view).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)view_init,
    .tp_dealloc = (destructor)view_dealloc,
    .tp_traverse = (traverseproc)view_traverse,
    .tp_clear = (inquiry)view_clear,
    .tp_call = view_tp_call,
    .tp_vectorcall_offset = offsetof(View, vectorcall),
};

/* -- Check ---------------------------------------------------------------------------------- */

/* Check(kind, fallback, a, b, c, d)(event): the usual case of one builtin filter's check
 * (plugins/builtin/filters) in C. Whatever is not the usual case -- an event that is not a plain
 * dict, an id or a time that is not a plain int in range, a row or a name of another shape, a
 * state not in the set -- is answered by `fallback(event)`, the filter's own Python check, which
 * stays the reference (it gives the same answer on the usual case too: the tests hold the two
 * alike). Kinds and parameters:
 *   DEDUP_SERVICE (a: reason): enable_service_status_dedup's test;
 *   STATE_IN (a: frozenset of accepted states): a state list; not in it -> fallback;
 *   ANON_HOST (a: host rows, b: anon flag, c: reason): skip_anon_events for a host status;
 *   ANON_SERVICE (a: host rows, b: service rows, c: anon flag, d: reason): for a service status;
 *   BAM_HOST (a: host rows, b: index of the name in a row, c: prefix, d: reason);
 *   STATE_FLAGS (a, b, c, d: hard_only, acknowledged, in_downtime, flapping on): state_flags's
 *     combined check, on int fields (bools for `flapping` and `acknowledged`). */
enum { DEDUP_SERVICE, STATE_IN, ANON_HOST, ANON_SERVICE, BAM_HOST, STATE_FLAGS, CHECK_KINDS };

typedef struct {
    PyObject_HEAD
    int kind;
    PyObject *fallback;
    PyObject *params[4];
    vectorcallfunc vectorcall;
} Check;

static PyObject *last_hard_state_change_name, *last_check_name, *last_update_name, *state_name;
static PyObject *state_type_name, *acknowledged_name, *acknowledgement_type_name, *depth_name,
    *downtime_depth_name, *flapping_name;
static PyObject *hard_only_reason, *acknowledged_reason, *in_downtime_reason, *flapping_reason;

static PyObject *
check_fallback(Check *self, PyObject *event)
{
    return PyObject_CallOneArg(self->fallback, event);
}

static PyObject *
item(PyObject *event, PyObject *name, int *failed)
{
    PyObject *value = PyDict_GetItemWithError(event, name);
    *failed = value == NULL && PyErr_Occurred();
    return value;
}

static PyObject *
check_dedup_service(Check *self, PyObject *event)
{
    int failed;
    long long changed, checked, updated = 0;
    PyObject *update = item(event, last_update_name, &failed);
    if (failed)
        return NULL;
    if (!plain_int(item(event, last_hard_state_change_name, &failed), &changed)
        || !plain_int(item(event, last_check_name, &failed), &checked)
        || (update != NULL && update != Py_None && !plain_int(update, &updated)))
        return failed ? NULL : check_fallback(self, event);
    if (changed <= 0 || (checked <= 0 && updated <= 0) || changed == checked || changed == updated)
        Py_RETURN_NONE;
    return Py_NewRef(self->params[0]);
}

static PyObject *
check_state_in(Check *self, PyObject *event)
{
    int failed;
    PyObject *state = item(event, state_name, &failed);
    if (failed)
        return NULL;
    if (state != NULL && (PyLong_CheckExact(state) || state == Py_None)) {
        int found = PySet_Contains(self->params[0], state);
        if (found < 0)
            return NULL;
        if (found)
            Py_RETURN_NONE;
    }
    return check_fallback(self, event); /* not accepted, or written another way: Python says */
}

/* An id as the anonymous filter's inline path takes it: a plain int in (0, 2**32). */
static int
set_id(PyObject *value, long long *out)
{
    return plain_int(value, out) && *out > 0 && *out < ID_LIMIT;
}

static PyObject *
check_anon(Check *self, PyObject *event, int services)
{
    int failed;
    long long host_id, service_id;
    PyObject *host = item(event, host_id_name, &failed);
    if (failed)
        return NULL;
    PyObject *service = NULL;
    if (services) {
        service = item(event, service_id_name, &failed);
        if (failed)
            return NULL;
    }
    if (!set_id(host, &host_id) || (services && !set_id(service, &service_id)))
        return check_fallback(self, event);
    PyObject *anon = self->params[services ? 2 : 1];
    int skip = PyObject_IsTrue(anon);
    if (skip <= 0)
        return skip < 0 ? NULL : Py_NewRef(Py_None);
    int known = PyDict_Contains(self->params[0], host);
    if (known > 0 && services) {
        PyObject *key = PyLong_FromLongLong(host_id << 32 | service_id);
        if (key == NULL)
            return NULL;
        known = PyDict_Contains(self->params[1], key);
        Py_DECREF(key);
    }
    if (known < 0)
        return NULL;
    return known ? Py_NewRef(Py_None) : Py_NewRef(self->params[services ? 3 : 2]);
}

static PyObject *
check_bam_host(Check *self, PyObject *event)
{
    int failed;
    PyObject *host = item(event, host_id_name, &failed);
    if (failed)
        return NULL;
    if (host == NULL || !PyLong_CheckExact(host))
        return check_fallback(self, event);
    PyObject *row = PyDict_GetItemWithError(self->params[0], host);
    if (row == NULL && PyErr_Occurred())
        return NULL;
    Py_ssize_t at = PyLong_AsSsize_t(self->params[1]);
    if (row == NULL || !PyTuple_CheckExact(row) || at < 0 || at >= PyTuple_GET_SIZE(row))
        return check_fallback(self, event);
    PyObject *name = PyTuple_GET_ITEM(row, at);
    if (!PyUnicode_CheckExact(name) || PyUnicode_GET_LENGTH(name) == 0)
        return check_fallback(self, event);
    Py_ssize_t starts = PyUnicode_Tailmatch(name, self->params[2], 0, PY_SSIZE_T_MAX, -1);
    if (starts < 0)
        return NULL;
    return starts ? Py_NewRef(self->params[3]) : Py_NewRef(Py_None);
}

/* A flag field as decoded BBDO carries it: absent, None or a bool (0: off, 1: on, -1: other). */
static int
plain_flag(PyObject *value)
{
    if (value == NULL || value == Py_None || value == Py_False)
        return 0;
    return value == Py_True ? 1 : -1;
}

static PyObject *
check_state_flags(Check *self, PyObject *event)
{
    int failed;
    long long number;
    if (self->params[0] == Py_True) { /* hard_only: a soft state (0), or any int below 1 */
        if (!plain_int(item(event, state_type_name, &failed), &number))
            return failed ? NULL : check_fallback(self, event);
        if (number < 1)
            return Py_NewRef(hard_only_reason);
    }
    int acknowledged = self->params[1] == Py_True, downtime = self->params[2] == Py_True;
    int flapping = self->params[3] == Py_True;
    if (!(acknowledged || downtime || flapping))
        Py_RETURN_NONE;
    if (!plain_int(item(event, state_name, &failed), &number))
        return failed ? NULL : check_fallback(self, event);
    if (number == 0)
        Py_RETURN_NONE; /* a recovery */
    if (acknowledged) {
        int on = plain_flag(item(event, acknowledged_name, &failed));
        if (failed)
            return NULL;
        if (on < 0 || (on == 0 && !plain_int(item(event, acknowledgement_type_name, &failed), &number)))
            return failed ? NULL : check_fallback(self, event);
        if (on || number >= 1)
            return Py_NewRef(acknowledged_reason);
    }
    if (downtime) {
        PyObject *depth = item(event, depth_name, &failed);
        if (failed)
            return NULL;
        if (depth == NULL) /* scheduled_downtime_depth absent: downtime_depth, as Python reads it */
            depth = item(event, downtime_depth_name, &failed);
        if (!plain_int(depth, &number))
            return failed ? NULL : check_fallback(self, event);
        if (number > 0)
            return Py_NewRef(in_downtime_reason);
    }
    if (flapping) {
        int on = plain_flag(item(event, flapping_name, &failed));
        if (failed)
            return NULL;
        if (on < 0)
            return check_fallback(self, event);
        if (on)
            return Py_NewRef(flapping_reason);
    }
    Py_RETURN_NONE;
}

static PyObject *
check_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Check *self = (Check *)callable;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "a check takes the event alone");
        return NULL;
    }
    PyObject *event = args[0];
    if (!PyDict_CheckExact(event))
        return check_fallback(self, event);
    switch (self->kind) {
    case DEDUP_SERVICE:
        return check_dedup_service(self, event);
    case STATE_IN:
        return check_state_in(self, event);
    case ANON_HOST:
        return check_anon(self, event, 0);
    case ANON_SERVICE:
        return check_anon(self, event, 1);
    case STATE_FLAGS:
        return check_state_flags(self, event);
    default:
        return check_bam_host(self, event);
    }
}

static int
check_init(Check *self, PyObject *args, PyObject *kwargs)
{
    int kind;
    PyObject *fallback, *params[4] = {Py_None, Py_None, Py_None, Py_None};
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "Check takes positional arguments only");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "iO|OOOO:Check", &kind, &fallback, &params[0], &params[1], &params[2],
                          &params[3]))
        return -1;
    if (kind < 0 || kind >= CHECK_KINDS || !PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_ValueError, "Check: an unknown kind, or a fallback that is not callable");
        return -1;
    }
    int bad = 0;
    switch (kind) {
    case DEDUP_SERVICE:
        bad = !PyUnicode_CheckExact(params[0]);
        break;
    case STATE_IN:
        bad = !PyFrozenSet_CheckExact(params[0]);
        break;
    case ANON_HOST:
        bad = !PyDict_CheckExact(params[0]) || !PyUnicode_CheckExact(params[2]);
        break;
    case ANON_SERVICE:
        bad = !PyDict_CheckExact(params[0]) || !PyDict_CheckExact(params[1]) || !PyUnicode_CheckExact(params[3]);
        break;
    case STATE_FLAGS:
        for (int i = 0; i < 4; i++)
            bad |= !PyBool_Check(params[i]);
        break;
    default:
        bad = !PyDict_CheckExact(params[0]) || !PyLong_CheckExact(params[1]) || !PyUnicode_CheckExact(params[2])
              || !PyUnicode_CheckExact(params[3]);
    }
    if (bad) {
        PyErr_SetString(PyExc_TypeError, "Check: parameters of the wrong types for this kind");
        return -1;
    }
    self->kind = kind;
    Py_XSETREF(self->fallback, Py_NewRef(fallback));
    for (int i = 0; i < 4; i++)
        Py_XSETREF(self->params[i], Py_NewRef(params[i]));
    self->vectorcall = check_call;
    return 0;
}

static int
check_traverse(Check *self, visitproc visit, void *arg)
{
    Py_VISIT(self->fallback);
    for (int i = 0; i < 4; i++)
        Py_VISIT(self->params[i]);
    return 0;
}

static int
check_clear(Check *self)
{
    Py_CLEAR(self->fallback);
    for (int i = 0; i < 4; i++)
        Py_CLEAR(self->params[i]);
    return 0;
}

static void
check_dealloc(Check *self)
{
    PyObject_GC_UnTrack(self);
    check_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
check_tp_call(PyObject *callable, PyObject *args, PyObject *kwargs)
{
    if (((Check *)callable)->fallback == NULL) {
        PyErr_SetString(PyExc_TypeError, "Check was not initialised");
        return NULL;
    }
    return PyVectorcall_Call(callable, args, kwargs);
}

static PyTypeObject CheckType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "centreon_canopsis.core._speedups.Check",
    .tp_basicsize = sizeof(Check),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "The usual case of a builtin filter's check; anything else goes to its Python check.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)check_init,
    .tp_dealloc = (destructor)check_dealloc,
    .tp_traverse = (traverseproc)check_traverse,
    .tp_clear = (inquiry)check_clear,
    .tp_call = check_tp_call,
    .tp_vectorcall_offset = offsetof(Check, vectorcall),
};

/* -- first ---------------------------------------------------------------------------------- */

/* first(calls, args): core/hookcalls.py's _first, which stays the reference. `calls` is a list
 * of (function, positions): positions None calls function(*args), an int function(args[i]), a
 * tuple function(*[args[i] for i in positions]). Returns the first answer that is not None
 * (None if none is). An exception raised by a function goes up unchanged, through its frames. */
static PyObject *
speedups_first(PyObject *module, PyObject *const *argv, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyList_CheckExact(argv[0]) || !PyTuple_CheckExact(argv[1])) {
        PyErr_SetString(PyExc_TypeError, "first(calls: list, args: tuple)");
        return NULL;
    }
    PyObject *calls = argv[0], *args = argv[1];
    Py_ssize_t nargs_given = PyTuple_GET_SIZE(args);
    PyObject **given = &PyTuple_GET_ITEM(args, 0);
    for (Py_ssize_t c = 0; c < PyList_GET_SIZE(calls); c++) {
        PyObject *call = PyList_GET_ITEM(calls, c);
        if (!PyTuple_CheckExact(call) || PyTuple_GET_SIZE(call) != 2) {
            PyErr_SetString(PyExc_TypeError, "first: each call is a (function, positions) tuple");
            return NULL;
        }
        Py_INCREF(call); /* held: a function may change the list */
        PyObject *function = PyTuple_GET_ITEM(call, 0), *positions = PyTuple_GET_ITEM(call, 1);
        PyObject *result;
        if (positions == Py_None) {
            result = PyObject_Vectorcall(function, given, nargs_given, NULL);
        } else if (PyLong_CheckExact(positions)) {
            Py_ssize_t i = PyLong_AsSsize_t(positions);
            if (i < 0 && !PyErr_Occurred())
                i += nargs_given; /* args[-1], as Python reads it */
            if (i < 0 || i >= nargs_given) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_IndexError, "tuple index out of range");
                Py_DECREF(call);
                return NULL;
            }
            result = PyObject_Vectorcall(function, &given[i], 1, NULL);
        } else if (PyTuple_CheckExact(positions)) {
            PyObject *few[8];
            Py_ssize_t n = PyTuple_GET_SIZE(positions);
            PyObject **picked = n <= 8 ? few : PyMem_New(PyObject *, n);
            if (picked == NULL) {
                Py_DECREF(call);
                return PyErr_NoMemory();
            }
            for (Py_ssize_t k = 0; k < n; k++) {
                PyObject *index = PyTuple_GET_ITEM(positions, k);
                Py_ssize_t i = PyLong_CheckExact(index) ? PyLong_AsSsize_t(index) : -1;
                if (i < 0 && PyLong_CheckExact(index) && !PyErr_Occurred())
                    i += nargs_given;
                if (i < 0 || i >= nargs_given) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyLong_CheckExact(index) ? PyExc_IndexError : PyExc_TypeError,
                                        "first: a position is not an index of args");
                    if (picked != few)
                        PyMem_Free(picked);
                    Py_DECREF(call);
                    return NULL;
                }
                picked[k] = given[i];
            }
            result = PyObject_Vectorcall(function, picked, n, NULL);
            if (picked != few)
                PyMem_Free(picked);
        } else {
            PyErr_SetString(PyExc_TypeError, "first: positions must be None, an int or a tuple of ints");
            Py_DECREF(call);
            return NULL;
        }
        Py_DECREF(call);
        if (result == NULL)
            return NULL;
        if (result != Py_None)
            return result;
        Py_DECREF(result);
    }
    Py_RETURN_NONE;
}

/* -- Dispatch --------------------------------------------------------------------------------- */

/* Dispatch(dispatcher, reference, entries, accept, manager, context, counts, drops, dropped,
 *          not_accepted, rejected)
 *
 * The usual cases of core/dispatcher.py's Dispatcher.process, which stays the reference: an event
 * whose type has its entry `(element, handler, kind)` goes through its cache handler, then
 *   - a type that is not accepted: counted as dropped (`not_accepted`);
 *   - else the accept filters of its kind, when `accept` (a FirstResult) holds their call list
 *     for the plugins' current generation: `first(calls, (event, element, context))`; an answer
 *     other than None and True is a drop, counted under that answer when it is a non-empty str,
 *     else under `rejected`.
 * Everything else is handed to the dispatcher's Python: `reference(dispatcher, event, type_id)`
 * for a type without an entry yet, `_after_cache(event, element, kind, type_id)` when the call
 * list is not current, `_accepted(event, element)` for an accepted event (transform, route,
 * outbox), `_failed(event, element, "connector_accept", error)` for a filter that raised an
 * Exception (other exceptions go up, as in Python). Drops are counted in `counts` and `drops`:
 * the dispatcher's `counts` and `dropped` (a ScopeDispatcher is given its parent's).
 *
 * Why: the Python around the C status copy and filters was about 5 500 instructions per dropped
 * status event, most of the stream (docs/delivery.md, "Tenth round"). */

typedef struct {
    PyObject_HEAD
    PyObject *dispatcher, *reference, *entries, *accept, *manager, *context;
    PyObject *counts, *drops;                    /* the dispatcher's counts and dropped */
    PyObject *dropped, *not_accepted, *rejected; /* str */
    vectorcallfunc vectorcall;
} Dispatch;

static PyObject *generation_name, *by_kind_name, *after_cache_name, *accepted_name, *failed_name,
    *accept_stage_name, *one;

/* mapping[key] += 1: 0, or -1 with an exception. A dict (or a subclass such as defaultdict that
 * keeps dict's item access) whose value is an int is counted without the generic protocol. */
static int
count(PyObject *mapping, PyObject *key)
{
    PyMappingMethods *access = Py_TYPE(mapping)->tp_as_mapping;
    if (PyDict_Check(mapping) && access != NULL
        && access->mp_subscript == PyDict_Type.tp_as_mapping->mp_subscript
        && access->mp_ass_subscript == PyDict_Type.tp_as_mapping->mp_ass_subscript) {
        PyObject *known = PyDict_GetItemWithError(mapping, key); /* borrowed */
        if (known == NULL && PyErr_Occurred())
            return -1;
        if (known != NULL && PyLong_CheckExact(known)) {
            PyObject *more = PyNumber_Add(known, one);
            if (more == NULL)
                return -1;
            int failed = PyDict_SetItem(mapping, key, more);
            Py_DECREF(more);
            return failed;
        }
    }
    PyObject *value = PyObject_GetItem(mapping, key); /* a defaultdict makes it 0 */
    if (value == NULL)
        return -1;
    PyObject *more = PyNumber_Add(value, one);
    Py_DECREF(value);
    if (more == NULL)
        return -1;
    int failed = PyObject_SetItem(mapping, key, more);
    Py_DECREF(more);
    return failed;
}

/* counts[dropped] += 1; drops[reason] += 1 (the dispatcher's `counts` and `dropped`). */
static PyObject *
count_drop(Dispatch *self, PyObject *reason)
{
    if (count(self->counts, self->dropped) < 0 || count(self->drops, reason) < 0)
        return NULL;
    return Py_NewRef(self->dropped);
}

/* The accept call list of `kind` when it is current: a borrowed list, NULL without an exception
 * when it is not (the Python resolves it), NULL with one on an error. */
static PyObject *
current_calls(Dispatch *self, PyObject *kind)
{
    if (self->manager == Py_None)
        return NULL;
    PyObject *now = PyObject_GetAttr(self->manager, generation_name);
    if (now == NULL)
        return NULL;
    PyObject *theirs = PyObject_GetAttr(self->accept, generation_name);
    if (theirs == NULL) {
        Py_DECREF(now);
        return NULL;
    }
    int current = theirs != Py_None && PyObject_RichCompareBool(now, theirs, Py_EQ);
    Py_DECREF(now);
    Py_DECREF(theirs);
    if (current <= 0)
        return NULL;
    PyObject *by_kind = PyObject_GetAttr(self->accept, by_kind_name);
    if (by_kind == NULL)
        return NULL;
    PyObject *calls = PyDict_CheckExact(by_kind) ? PyDict_GetItemWithError(by_kind, kind) : NULL;
    Py_DECREF(by_kind); /* the FirstResult holds the dict, and the dict the list */
    return calls != NULL && PyList_CheckExact(calls) ? calls : NULL;
}

/* After the cache handler: the kind's filters, or the Python. New reference, or NULL. */
static PyObject *
accept_stage(Dispatch *self, PyObject *event, PyObject *element, PyObject *kind, PyObject *type_id)
{
    if (kind == Py_None)
        return count_drop(self, self->not_accepted);
    PyObject *calls = current_calls(self, kind);
    if (calls == NULL) {
        if (PyErr_Occurred())
            return NULL;
        PyObject *args[] = {self->dispatcher, event, element, kind, type_id};
        return PyObject_VectorcallMethod(after_cache_name, args, 5 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    }
    Py_INCREF(calls); /* held: a filter may change the plugins */
    PyObject *given = PyTuple_Pack(3, event, element, self->context);
    if (given == NULL) {
        Py_DECREF(calls);
        return NULL;
    }
    PyObject *first_args[] = {calls, given};
    PyObject *verdict = speedups_first(NULL, first_args, 2);
    Py_DECREF(given);
    Py_DECREF(calls);
    if (verdict == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_Exception))
            return NULL; /* KeyboardInterrupt, SystemExit: up, as in Python */
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        PyErr_NormalizeException(&type, &value, &traceback);
        if (traceback != NULL)
            PyException_SetTraceback(value, traceback); /* owner_of reads the plugin from it */
        Py_XDECREF(type);
        Py_XDECREF(traceback);
        PyObject *args[] = {self->dispatcher, event, element, accept_stage_name, value};
        PyObject *result =
            PyObject_VectorcallMethod(failed_name, args, 5 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        Py_DECREF(value);
        return result;
    }
    if (verdict == Py_None || verdict == Py_True) {
        Py_DECREF(verdict);
        PyObject *args[] = {self->dispatcher, event, element};
        return PyObject_VectorcallMethod(accepted_name, args, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    }
    int named = PyUnicode_Check(verdict) && PyUnicode_GET_LENGTH(verdict) > 0;
    PyObject *result = count_drop(self, named ? verdict : self->rejected);
    Py_DECREF(verdict);
    return result;
}

static PyObject *
dispatch_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Dispatch *self = (Dispatch *)callable;
    if (PyVectorcall_NARGS(nargsf) != 2 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "process(event, type_id)");
        return NULL;
    }
    PyObject *event = args[0], *type_id = args[1];
    PyObject *entry = PyDict_GetItemWithError(self->entries, type_id); /* borrowed */
    if (entry == NULL || !PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 3) {
        if (PyErr_Occurred())
            return NULL;
        PyObject *call[] = {self->dispatcher, event, type_id};
        return PyObject_Vectorcall(self->reference, call, 3, NULL);
    }
    Py_INCREF(entry); /* held: the handler may change the entries */
    PyObject *element = PyTuple_GET_ITEM(entry, 0), *handler = PyTuple_GET_ITEM(entry, 1),
             *kind = PyTuple_GET_ITEM(entry, 2);
    PyObject *result = NULL;
    if (handler != Py_None) {
        PyObject *done = PyObject_Vectorcall(handler, &event, 1, NULL);
        if (done == NULL)
            goto end; /* up, as in Python: the handler is not a plugin's stage */
        Py_DECREF(done);
    }
    result = accept_stage(self, event, element, kind, type_id);
end:
    Py_DECREF(entry);
    return result;
}

static int
dispatch_init(Dispatch *self, PyObject *args, PyObject *kwargs)
{
    PyObject *dispatcher, *reference, *entries, *accept, *manager, *context, *counts, *drops, *dropped,
        *not_accepted, *rejected;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "Dispatch takes positional arguments only");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "OOO!OOOOOUUU:Dispatch", &dispatcher, &reference, &PyDict_Type, &entries,
                          &accept, &manager, &context, &counts, &drops, &dropped, &not_accepted, &rejected))
        return -1;
    Py_XSETREF(self->counts, Py_NewRef(counts));
    Py_XSETREF(self->drops, Py_NewRef(drops));
    Py_XSETREF(self->dispatcher, Py_NewRef(dispatcher));
    Py_XSETREF(self->reference, Py_NewRef(reference));
    Py_XSETREF(self->entries, Py_NewRef(entries));
    Py_XSETREF(self->accept, Py_NewRef(accept));
    Py_XSETREF(self->manager, Py_NewRef(manager));
    Py_XSETREF(self->context, Py_NewRef(context));
    Py_XSETREF(self->dropped, Py_NewRef(dropped));
    Py_XSETREF(self->not_accepted, Py_NewRef(not_accepted));
    Py_XSETREF(self->rejected, Py_NewRef(rejected));
    self->vectorcall = dispatch_call;
    return 0;
}

static int
dispatch_traverse(Dispatch *self, visitproc visit, void *arg)
{
    Py_VISIT(self->dispatcher);
    Py_VISIT(self->reference);
    Py_VISIT(self->entries);
    Py_VISIT(self->accept);
    Py_VISIT(self->manager);
    Py_VISIT(self->context);
    Py_VISIT(self->counts);
    Py_VISIT(self->drops);
    return 0;
}

static int
dispatch_clear(Dispatch *self)
{
    Py_CLEAR(self->counts);
    Py_CLEAR(self->drops);
    Py_CLEAR(self->dispatcher);
    Py_CLEAR(self->reference);
    Py_CLEAR(self->entries);
    Py_CLEAR(self->accept);
    Py_CLEAR(self->manager);
    Py_CLEAR(self->context);
    Py_CLEAR(self->dropped);
    Py_CLEAR(self->not_accepted);
    Py_CLEAR(self->rejected);
    return 0;
}

static void
dispatch_dealloc(Dispatch *self)
{
    PyObject_GC_UnTrack(self);
    dispatch_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
dispatch_tp_call(PyObject *callable, PyObject *args, PyObject *kwargs)
{
    if (((Dispatch *)callable)->dispatcher == NULL) {
        PyErr_SetString(PyExc_TypeError, "Dispatch was not initialised");
        return NULL;
    }
    return PyVectorcall_Call(callable, args, kwargs);
}

static PyTypeObject DispatchType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "centreon_canopsis.core._speedups.Dispatch",
    .tp_basicsize = sizeof(Dispatch),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "The usual cases of Dispatcher.process; anything else goes to the dispatcher's Python.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)dispatch_init,
    .tp_dealloc = (destructor)dispatch_dealloc,
    .tp_traverse = (traverseproc)dispatch_traverse,
    .tp_clear = (inquiry)dispatch_clear,
    .tp_call = dispatch_tp_call,
    .tp_vectorcall_offset = offsetof(Dispatch, vectorcall),
};

static PyMethodDef speedups_methods[] = {
    {"first", (PyCFunction)(void (*)(void))speedups_first, METH_FASTCALL,
     "first(calls, args): the first answer that is not None (core/hookcalls.py _first)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "_speedups", "The pipeline thread's per-event work in C (optional accelerators).", 0,
    speedups_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    host_id_name = PyUnicode_InternFromString("host_id");
    service_id_name = PyUnicode_InternFromString("service_id");
    last_hard_state_change_name = PyUnicode_InternFromString("last_hard_state_change");
    last_check_name = PyUnicode_InternFromString("last_check");
    last_update_name = PyUnicode_InternFromString("last_update");
    state_name = PyUnicode_InternFromString("state");
    state_type_name = PyUnicode_InternFromString("state_type");
    acknowledged_name = PyUnicode_InternFromString("acknowledged");
    acknowledgement_type_name = PyUnicode_InternFromString("acknowledgement_type");
    depth_name = PyUnicode_InternFromString("scheduled_downtime_depth");
    downtime_depth_name = PyUnicode_InternFromString("downtime_depth");
    flapping_name = PyUnicode_InternFromString("flapping");
    hard_only_reason = PyUnicode_InternFromString("hard_only");
    acknowledged_reason = PyUnicode_InternFromString("acknowledged");
    in_downtime_reason = PyUnicode_InternFromString("in_downtime");
    flapping_reason = PyUnicode_InternFromString("flapping");
    if (state_type_name == NULL || acknowledged_name == NULL || acknowledgement_type_name == NULL
        || depth_name == NULL || downtime_depth_name == NULL || flapping_name == NULL
        || hard_only_reason == NULL || acknowledged_reason == NULL || in_downtime_reason == NULL
        || flapping_reason == NULL)
        return NULL;
    generation_name = PyUnicode_InternFromString("generation");
    by_kind_name = PyUnicode_InternFromString("by_kind");
    after_cache_name = PyUnicode_InternFromString("_after_cache");
    accepted_name = PyUnicode_InternFromString("_accepted");
    failed_name = PyUnicode_InternFromString("_failed");
    accept_stage_name = PyUnicode_InternFromString("connector_accept");
    one = PyLong_FromLong(1);
    if (generation_name == NULL || by_kind_name == NULL || after_cache_name == NULL || accepted_name == NULL || failed_name == NULL
        || accept_stage_name == NULL || one == NULL || PyType_Ready(&DispatchType) < 0)
        return NULL;
    if (host_id_name == NULL || service_id_name == NULL || last_hard_state_change_name == NULL
        || last_check_name == NULL || last_update_name == NULL || state_name == NULL
        || PyType_Ready(&StatusCopyType) < 0 || PyType_Ready(&CheckType) < 0 || PyType_Ready(&ViewType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&speedups_module);
    if (module == NULL)
        return NULL;
    if (PyModule_AddObjectRef(module, "StatusCopy", (PyObject *)&StatusCopyType) < 0
        || PyModule_AddObjectRef(module, "Check", (PyObject *)&CheckType) < 0
        || PyModule_AddObjectRef(module, "View", (PyObject *)&ViewType) < 0
        || PyModule_AddObjectRef(module, "Dispatch", (PyObject *)&DispatchType) < 0
        || PyModule_AddIntConstant(module, "DEDUP_SERVICE", DEDUP_SERVICE) < 0
        || PyModule_AddIntConstant(module, "STATE_IN", STATE_IN) < 0
        || PyModule_AddIntConstant(module, "ANON_HOST", ANON_HOST) < 0
        || PyModule_AddIntConstant(module, "ANON_SERVICE", ANON_SERVICE) < 0
        || PyModule_AddIntConstant(module, "BAM_HOST", BAM_HOST) < 0
        || PyModule_AddIntConstant(module, "STATE_FLAGS", STATE_FLAGS) < 0 || cache_learn_init(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
