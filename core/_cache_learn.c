/* The name cache's configuration handlers, in C (part of the _speedups extension).
 *
 * ObjectRow(rows, shared, views, stored, tags_at, display_at, description_at, services, dirty, kind,
 *           copy_status, share, general)(event)          Cache._host, Cache._service
 * Member(table, names_seen, group_sets, dirty, kind, group_field, services, general)(event)
 *                                                        Cache._host_member, Cache._service_member
 * Variable(cache, general)(event)                        Cache._custom_variable
 *
 * A configuration burst (an Engine's start or reload: every host, service, membership and custom
 * variable of a poller) is these handlers' events and nothing else; at 50k hosts / 500k services
 * their Python was about half of the daemon's CPU per event (docs/delivery.md, "Eleventh round").
 *
 * Each takes the usual case of its Python twin in core/cache.py, which stays the reference, and
 * hands everything else, unchanged and before changing anything, to `general(event)` (the Python
 * handler): an event that is not a plain dict, ids that are not plain non-zero ints in range,
 * `enabled` other than absent or True, a missing field, tags that are not a list of dicts with
 * int `type` and `id`, a group name that is not a non-empty str, a stored membership that is not
 * a tuple of ascending int ids and names, a custom variable the cache keeps.
 * tests/core/test_cache_learn_in_c.py holds both to the same cache.
 */
#include "_speedups.h"

#include <stddef.h>

static PyObject *enabled_name, *name_name, *type_name, *id_name, *keep_name, *criticality_text;

/* 1 for a call with one positional argument, the event; else 0 with a TypeError. */
static int
event_alone(size_t nargsf, PyObject *kwnames)
{
    if (PyVectorcall_NARGS(nargsf) == 1 && kwnames == NULL)
        return 1;
    PyErr_SetString(PyExc_TypeError, "a cache handler takes the event alone");
    return 0;
}

static PyObject *
hand_over(PyObject *general, PyObject *event)
{
    return PyObject_CallOneArg(general, event);
}

/* 1: `enabled` absent or True; 0: anything else (the Python decides); -1: an error. */
static int
plainly_enabled(PyObject *event)
{
    PyObject *value = PyDict_GetItemWithError(event, enabled_name);
    if (value == NULL)
        return PyErr_Occurred() ? -1 : 1;
    return value == Py_True;
}

/* cache._dirty.add((kind, key)) */
static int
mark_dirty(PyObject *dirty, PyObject *kind, PyObject *key)
{
    PyObject *entry = PyTuple_Pack(2, kind, key);
    if (entry == NULL)
        return -1;
    int failed = PySet_Add(dirty, entry);
    Py_DECREF(entry);
    return failed;
}

/* The object's key, as the Python handlers make it, for the ids the usual case takes: 1 and a new
 * reference in *key; 0: the Python's; -1: an error. Services: plain non-zero ids below 2**32,
 * `host_id << 32 | service_id`; hosts: a plain non-zero host id (no range: the Python has none). */
static int
object_key(PyObject *event, int services, PyObject **key)
{
    long long host_id, service_id;
    PyObject *host = PyDict_GetItemWithError(event, host_id_name);
    if (host == NULL && PyErr_Occurred())
        return -1;
    if (services) {
        PyObject *service = PyDict_GetItemWithError(event, service_id_name);
        if (service == NULL && PyErr_Occurred())
            return -1;
        if (!plain_id(host, &host_id) || !plain_id(service, &service_id) || !host_id || !service_id)
            return 0;
        *key = PyLong_FromLongLong(host_id << 32 | service_id);
    } else {
        if (!plain_int(host, &host_id) || !host_id)
            return 0;
        *key = Py_NewRef(host);
    }
    return *key == NULL ? -1 : 1;
}

/* -- ObjectRow: Cache._host, Cache._service ------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    PyObject *rows, *shared, *views, *dirty; /* Objects' tables, the cache's dirty set */
    PyObject *stored, *kind;                  /* field names (tuple), "host" or "service" */
    PyObject *copy_status, *share, *general;  /* callables */
    Py_ssize_t tags_at, display_at, description_at; /* positions in a row; -1: none */
    int services;
    vectorcallfunc vectorcall;
} ObjectRow;

/* _tag_pairs of the event's tags when they are a list of dicts with plain int `type` and `id`:
 * 1 and a new reference (a tuple of pairs, or None for an empty list); 0: the Python's; -1. */
static int
tag_pairs(PyObject *tags, PyObject **out)
{
    if (!PyList_CheckExact(tags))
        return 0;
    Py_ssize_t size = PyList_GET_SIZE(tags);
    if (size == 0) {
        *out = Py_NewRef(Py_None);
        return 1;
    }
    PyObject *pairs = PyTuple_New(size);
    if (pairs == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *tag = PyList_GET_ITEM(tags, i);
        if (!PyDict_CheckExact(tag)) {
            Py_DECREF(pairs);
            return 0;
        }
        /* Exact dicts looked up by exact str keys: no Python code runs, the list cannot change. */
        PyObject *tag_type = PyDict_GetItemWithError(tag, type_name);
        PyObject *tag_id = tag_type == NULL ? NULL : PyDict_GetItemWithError(tag, id_name);
        if (tag_id == NULL || !PyLong_CheckExact(tag_type) || !PyLong_CheckExact(tag_id)) {
            Py_DECREF(pairs);
            return PyErr_Occurred() ? -1 : 0;
        }
        PyObject *pair = PyTuple_Pack(2, tag_type, tag_id);
        if (pair == NULL) {
            Py_DECREF(pairs);
            return -1;
        }
        PyTuple_SET_ITEM(pairs, i, pair);
    }
    *out = pairs;
    return 1;
}

/* A new tuple's item, replaced (steals `value`). */
static void
replace_item(PyObject *tuple, Py_ssize_t at, PyObject *value)
{
    PyObject *old = PyTuple_GET_ITEM(tuple, at);
    PyTuple_SET_ITEM(tuple, at, value);
    Py_DECREF(old);
}

/* The stored fields of the event into a new row, as Objects.read and the handler's tag and display
 * rules make it: 1 and a new reference; 0: the Python's; -1: an error. */
static int
read_row(ObjectRow *self, PyObject *event, PyObject **out)
{
    Py_ssize_t size = PyTuple_GET_SIZE(self->stored);
    PyObject *row = PyTuple_New(size);
    if (row == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *value = PyDict_GetItemWithError(event, PyTuple_GET_ITEM(self->stored, i));
        if (value == NULL) { /* a field left out keeps the stored value: the Python's */
            Py_DECREF(row);
            return PyErr_Occurred() ? -1 : 0;
        }
        PyTuple_SET_ITEM(row, i, Py_NewRef(value));
    }
    if (self->tags_at >= 0 && PyTuple_GET_ITEM(row, self->tags_at) != Py_None) {
        PyObject *pairs;
        int done = tag_pairs(PyTuple_GET_ITEM(row, self->tags_at), &pairs);
        if (done <= 0) {
            Py_DECREF(row);
            return done;
        }
        replace_item(row, self->tags_at, pairs); /* the row is ours alone yet */
    }
    if (self->display_at >= 0) { /* usually the same text as the description: one object */
        PyObject *description = PyTuple_GET_ITEM(row, self->description_at);
        PyObject *display = PyTuple_GET_ITEM(row, self->display_at);
        if (display != description) {
            int same = PyObject_RichCompareBool(display, description, Py_EQ);
            if (same < 0) {
                Py_DECREF(row);
                return -1;
            }
            if (same)
                replace_item(row, self->display_at, Py_NewRef(description));
        }
    }
    *out = row;
    return 1;
}

/* Objects.put: stores the row (one tuple per distinct row, Objects.share) when it changed. */
static int
put_row(ObjectRow *self, PyObject *key, PyObject *row)
{
    PyObject *old = PyDict_GetItemWithError(self->rows, key); /* borrowed */
    if (old == NULL && PyErr_Occurred())
        return -1;
    if (old != NULL) {
        Py_INCREF(old); /* held: comparing values may run code */
        int same = PyObject_RichCompareBool(old, row, Py_EQ);
        Py_DECREF(old);
        if (same)
            return same < 0 ? -1 : 0;
    }
    PyObject *kept;
    if (PyDict_GET_SIZE(self->shared) > 2 * PyDict_GET_SIZE(self->rows) + 1024)
        kept = PyObject_CallOneArg(self->share, row); /* the table is due a clean-up: the Python's */
    else
        kept = Py_XNewRef(PyDict_SetDefault(self->shared, row, row));
    if (kept == NULL)
        return -1;
    int failed = PyDict_SetItem(self->rows, key, kept);
    Py_DECREF(kept);
    if (failed || discard(self->views, key) < 0 || mark_dirty(self->dirty, self->kind, key) < 0)
        return -1;
    return 0;
}

static PyObject *
ObjectRow_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    ObjectRow *self = (ObjectRow *)callable;
    if (!event_alone(nargsf, kwnames))
        return NULL;
    PyObject *event = args[0];
    if (!PyDict_CheckExact(event))
        return hand_over(self->general, event);
    PyObject *key = NULL, *row = NULL;
    int usual = object_key(event, self->services, &key);
    if (usual > 0)
        usual = plainly_enabled(event);
    if (usual > 0)
        usual = read_row(self, event, &row);
    if (usual <= 0) {
        Py_XDECREF(key);
        return usual < 0 ? NULL : hand_over(self->general, event);
    }
    int failed = put_row(self, key, row);
    Py_DECREF(row);
    Py_DECREF(key);
    if (failed)
        return NULL;
    return PyObject_CallOneArg(self->copy_status, event); /* its status, as for a status event */
}

static int
ObjectRow_init(ObjectRow *self, PyObject *args, PyObject *kwargs)
{
    PyObject *rows, *shared, *views, *stored, *dirty, *kind, *copy_status, *share, *general;
    Py_ssize_t tags_at, display_at, description_at;
    int services;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "ObjectRow takes positional arguments only");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!O!nnnpO!UOOO:ObjectRow", &PyDict_Type, &rows, &PyDict_Type, &shared,
                          &PyDict_Type, &views, &PyTuple_Type, &stored, &tags_at, &display_at, &description_at,
                          &services, &PySet_Type, &dirty, &kind, &copy_status, &share, &general))
        return -1;
    Py_ssize_t size = PyTuple_GET_SIZE(stored);
    if (!PyDict_CheckExact(rows) || !PyDict_CheckExact(shared) || !PyDict_CheckExact(views)
        || !PyCallable_Check(copy_status) || !PyCallable_Check(share) || !PyCallable_Check(general)
        || tags_at < -1 || tags_at >= size || display_at < -1 || display_at >= size || description_at < -1
        || description_at >= size || (display_at >= 0) != (description_at >= 0)) {
        PyErr_SetString(PyExc_TypeError, "ObjectRow: plain dicts, positions in the row, callables");
        return -1;
    }
    for (Py_ssize_t i = 0; i < size; i++)
        if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(stored, i))) {
            PyErr_SetString(PyExc_TypeError, "ObjectRow: field names must be str");
            return -1;
        }
    Py_XSETREF(self->rows, Py_NewRef(rows));
    Py_XSETREF(self->shared, Py_NewRef(shared));
    Py_XSETREF(self->views, Py_NewRef(views));
    Py_XSETREF(self->dirty, Py_NewRef(dirty));
    Py_XSETREF(self->stored, Py_NewRef(stored));
    Py_XSETREF(self->kind, Py_NewRef(kind));
    Py_XSETREF(self->copy_status, Py_NewRef(copy_status));
    Py_XSETREF(self->share, Py_NewRef(share));
    Py_XSETREF(self->general, Py_NewRef(general));
    self->tags_at = tags_at;
    self->display_at = display_at;
    self->description_at = description_at;
    self->services = services;
    self->vectorcall = ObjectRow_call;
    return 0;
}

static int
ObjectRow_traverse(ObjectRow *self, visitproc visit, void *arg)
{
    Py_VISIT(self->rows);
    Py_VISIT(self->shared);
    Py_VISIT(self->views);
    Py_VISIT(self->dirty);
    Py_VISIT(self->stored);
    Py_VISIT(self->kind);
    Py_VISIT(self->copy_status);
    Py_VISIT(self->share);
    Py_VISIT(self->general);
    return 0;
}

static int
ObjectRow_clear(ObjectRow *self)
{
    Py_CLEAR(self->rows);
    Py_CLEAR(self->shared);
    Py_CLEAR(self->views);
    Py_CLEAR(self->dirty);
    Py_CLEAR(self->stored);
    Py_CLEAR(self->kind);
    Py_CLEAR(self->copy_status);
    Py_CLEAR(self->share);
    Py_CLEAR(self->general);
    return 0;
}

/* -- Member: Cache._host_member, Cache._service_member ------------------------------------------ */

typedef struct {
    PyObject_HEAD
    PyObject *table, *names_seen, *group_sets, *dirty; /* the cache's tables */
    PyObject *kind, *group_field;                      /* "host_member", "hostgroup_id" */
    PyObject *general;
    int services;
    vectorcallfunc vectorcall;
} Member;

/* The membership with (group, name) in it, a new reference, when it is not there yet (NULL and
 * *usual 1: unchanged). *usual 0: a stored membership the usual case does not read. */
static PyObject *
with_group(Member *self, PyObject *flat, PyObject *group, long long group_id, PyObject *name, int *usual)
{
    Py_ssize_t size = PyTuple_GET_SIZE(flat), at = size;
    long long previous = 0, at_id = 0;
    *usual = 0;
    if (size == 0 || size % 2)
        return NULL;
    for (Py_ssize_t i = 0; i < size; i += 2) { /* ascending ids, as _flat sorts them */
        long long stored;
        if (!plain_int(PyTuple_GET_ITEM(flat, i), &stored) || (i && stored <= previous))
            return NULL;
        previous = stored;
        if (stored >= group_id && at == size) {
            at = i;
            at_id = stored;
        }
    }
    *usual = 1;
    int replace = at < size && at_id == group_id;
    if (replace) {
        PyObject *known = Py_NewRef(PyTuple_GET_ITEM(flat, at + 1));
        int different = PyObject_RichCompareBool(known, name, Py_NE);
        Py_DECREF(known);
        if (different <= 0) {
            *usual = different == 0;
            return NULL; /* the same name: unchanged (or an error) */
        }
    }
    PyObject *seen = Py_XNewRef(PyDict_SetDefault(self->names_seen, name, name));
    if (seen == NULL) {
        *usual = 0;
        return NULL;
    }
    PyObject *grown = PyTuple_New(replace ? size : size + 2);
    if (grown == NULL) {
        Py_DECREF(seen);
        *usual = 0;
        return NULL;
    }
    Py_ssize_t to = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        if (i == at) {
            PyTuple_SET_ITEM(grown, to++, Py_NewRef(replace ? PyTuple_GET_ITEM(flat, i) : group));
            PyTuple_SET_ITEM(grown, to++, Py_NewRef(seen));
            if (replace) {
                i++; /* its old name */
                continue;
            }
        }
        PyTuple_SET_ITEM(grown, to++, Py_NewRef(PyTuple_GET_ITEM(flat, i)));
    }
    if (at == size) {
        PyTuple_SET_ITEM(grown, to++, Py_NewRef(group));
        PyTuple_SET_ITEM(grown, to++, Py_NewRef(seen));
    }
    Py_DECREF(seen);
    return grown;
}

static PyObject *
Member_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Member *self = (Member *)callable;
    if (!event_alone(nargsf, kwnames))
        return NULL;
    PyObject *event = args[0];
    if (!PyDict_CheckExact(event))
        return hand_over(self->general, event);
    PyObject *key = NULL;
    int usual = object_key(event, self->services, &key);
    if (usual <= 0)
        return usual < 0 ? NULL : hand_over(self->general, event);
    long long group_id;
    PyObject *group = PyDict_GetItemWithError(event, self->group_field);
    PyObject *name = group == NULL ? NULL : PyDict_GetItemWithError(event, name_name);
    if (PyErr_Occurred())
        goto failed;
    if (!plain_int(group, &group_id) || !group_id || name == NULL || !PyUnicode_CheckExact(name)
        || PyUnicode_GET_LENGTH(name) == 0)
        goto python;
    usual = plainly_enabled(event);
    if (usual <= 0) {
        if (usual < 0)
            goto failed;
        goto python;
    }
    PyObject *flat = PyDict_GetItemWithError(self->table, key); /* borrowed */
    PyObject *grown;
    if (flat == NULL) {
        if (PyErr_Occurred())
            goto failed;
        PyObject *seen = PyDict_SetDefault(self->names_seen, name, name); /* borrowed */
        grown = seen == NULL ? NULL : PyTuple_Pack(2, group, seen);
        if (grown == NULL)
            goto failed;
    } else {
        if (!PyTuple_CheckExact(flat))
            goto python;
        Py_INCREF(flat);
        grown = with_group(self, flat, group, group_id, name, &usual);
        Py_DECREF(flat);
        if (grown == NULL) {
            if (PyErr_Occurred())
                goto failed;
            if (!usual)
                goto python;
            Py_DECREF(key);
            Py_RETURN_NONE; /* already a member, by that name */
        }
    }
    PyObject *kept = Py_XNewRef(PyDict_SetDefault(self->group_sets, grown, grown));
    Py_DECREF(grown);
    if (kept == NULL)
        goto failed;
    int set_failed = PyDict_SetItem(self->table, key, kept);
    Py_DECREF(kept);
    if (set_failed || mark_dirty(self->dirty, self->kind, key) < 0)
        goto failed;
    Py_DECREF(key);
    Py_RETURN_NONE;
python:
    Py_DECREF(key);
    return hand_over(self->general, event);
failed:
    Py_DECREF(key);
    return NULL;
}

static int
Member_init(Member *self, PyObject *args, PyObject *kwargs)
{
    PyObject *table, *names_seen, *group_sets, *dirty, *kind, *group_field, *general;
    int services;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "Member takes positional arguments only");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!O!UUpO:Member", &PyDict_Type, &table, &PyDict_Type, &names_seen,
                          &PyDict_Type, &group_sets, &PySet_Type, &dirty, &kind, &group_field, &services, &general))
        return -1;
    if (!PyDict_CheckExact(table) || !PyDict_CheckExact(names_seen) || !PyDict_CheckExact(group_sets)
        || !PyUnicode_CheckExact(group_field) || !PyCallable_Check(general)) {
        PyErr_SetString(PyExc_TypeError, "Member: plain dicts, a str field name, a callable");
        return -1;
    }
    Py_XSETREF(self->table, Py_NewRef(table));
    Py_XSETREF(self->names_seen, Py_NewRef(names_seen));
    Py_XSETREF(self->group_sets, Py_NewRef(group_sets));
    Py_XSETREF(self->dirty, Py_NewRef(dirty));
    Py_XSETREF(self->kind, Py_NewRef(kind));
    Py_XSETREF(self->group_field, Py_NewRef(group_field));
    Py_XSETREF(self->general, Py_NewRef(general));
    self->services = services;
    self->vectorcall = Member_call;
    return 0;
}

static int
Member_traverse(Member *self, visitproc visit, void *arg)
{
    Py_VISIT(self->table);
    Py_VISIT(self->names_seen);
    Py_VISIT(self->group_sets);
    Py_VISIT(self->dirty);
    Py_VISIT(self->kind);
    Py_VISIT(self->group_field);
    Py_VISIT(self->general);
    return 0;
}

static int
Member_clear(Member *self)
{
    Py_CLEAR(self->table);
    Py_CLEAR(self->names_seen);
    Py_CLEAR(self->group_sets);
    Py_CLEAR(self->dirty);
    Py_CLEAR(self->kind);
    Py_CLEAR(self->group_field);
    Py_CLEAR(self->general);
    return 0;
}

/* -- Variable: Cache._custom_variable ------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    PyObject *cache, *general;
    vectorcallfunc vectorcall;
} Variable;

/* Most custom variables are neither CRITICALITY_LEVEL nor one a plugin asked the cache to keep
 * (keep_custom_variable None, the default): nothing to learn. The others are the Python's. */
static PyObject *
Variable_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Variable *self = (Variable *)callable;
    if (!event_alone(nargsf, kwnames))
        return NULL;
    PyObject *event = args[0];
    if (!PyDict_CheckExact(event))
        return hand_over(self->general, event);
    PyObject *name = PyDict_GetItemWithError(event, name_name);
    if (name == NULL && PyErr_Occurred())
        return NULL;
    if (name == NULL || !PyUnicode_CheckExact(name) || PyUnicode_Compare(name, criticality_text) == 0)
        return hand_over(self->general, event);
    PyObject *keep = PyObject_GetAttr(self->cache, keep_name); /* a plugin may set it at any time */
    if (keep == NULL)
        return NULL;
    int kept = keep != Py_None;
    Py_DECREF(keep);
    if (kept)
        return hand_over(self->general, event);
    Py_RETURN_NONE;
}

static int
Variable_init(Variable *self, PyObject *args, PyObject *kwargs)
{
    PyObject *cache, *general;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "Variable takes positional arguments only");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "OO:Variable", &cache, &general))
        return -1;
    if (!PyCallable_Check(general)) {
        PyErr_SetString(PyExc_TypeError, "Variable: the Python handler must be callable");
        return -1;
    }
    Py_XSETREF(self->cache, Py_NewRef(cache));
    Py_XSETREF(self->general, Py_NewRef(general));
    self->vectorcall = Variable_call;
    return 0;
}

static int
Variable_traverse(Variable *self, visitproc visit, void *arg)
{
    Py_VISIT(self->cache);
    Py_VISIT(self->general);
    return 0;
}

static int
Variable_clear(Variable *self)
{
    Py_CLEAR(self->cache);
    Py_CLEAR(self->general);
    return 0;
}

/* -- the types ---------------------------------------------------------------------------------- */

/* The three types alike: a handler called with the event; calling one before __init__ fails. */
#define HANDLER_TYPE(NAME, DOC)                                                                    \
    static void NAME##_dealloc(NAME *self)                                                         \
    {                                                                                              \
        PyObject_GC_UnTrack(self);                                                                 \
        NAME##_clear(self);                                                                        \
        Py_TYPE(self)->tp_free((PyObject *)self);                                                  \
    }                                                                                              \
    static PyObject *NAME##_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)              \
    {                                                                                              \
        (void)args;                                                                                \
        (void)kwargs;                                                                              \
        NAME *self = (NAME *)type->tp_alloc(type, 0);                                              \
        if (self != NULL)                                                                          \
            self->vectorcall = NULL;                                                               \
        return (PyObject *)self;                                                                   \
    }                                                                                              \
    static PyObject *NAME##_tp_call(PyObject *callable, PyObject *args, PyObject *kwargs)          \
    {                                                                                              \
        if (((NAME *)callable)->vectorcall == NULL) {                                              \
            PyErr_SetString(PyExc_TypeError, #NAME " was not initialised");                        \
            return NULL;                                                                           \
        }                                                                                          \
        return PyVectorcall_Call(callable, args, kwargs);                                          \
    }                                                                                              \
    static PyTypeObject NAME##Type = {                                                             \
        PyVarObject_HEAD_INIT(NULL, 0)                                                             \
        .tp_name = "centreon_canopsis.core._speedups." #NAME,                                      \
        .tp_basicsize = sizeof(NAME),                                                              \
        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,           \
        .tp_doc = DOC,                                                                             \
        .tp_new = NAME##_new,                                                                      \
        .tp_init = (initproc)NAME##_init,                                                          \
        .tp_dealloc = (destructor)NAME##_dealloc,                                                  \
        .tp_traverse = (traverseproc)NAME##_traverse,                                              \
        .tp_clear = (inquiry)NAME##_clear,                                                         \
        .tp_call = NAME##_tp_call,                                                                 \
        .tp_vectorcall_offset = offsetof(NAME, vectorcall),                                        \
    };

HANDLER_TYPE(ObjectRow, "A host or service event into the name cache (Cache._host, Cache._service in C).")
HANDLER_TYPE(Member, "A group member event into the name cache (Cache._host_member, _service_member in C).")
HANDLER_TYPE(Variable, "A custom variable event into the name cache (Cache._custom_variable in C).")

int
cache_learn_init(PyObject *module)
{
    enabled_name = PyUnicode_InternFromString("enabled");
    name_name = PyUnicode_InternFromString("name");
    type_name = PyUnicode_InternFromString("type");
    id_name = PyUnicode_InternFromString("id");
    keep_name = PyUnicode_InternFromString("keep_custom_variable");
    criticality_text = PyUnicode_InternFromString("CRITICALITY_LEVEL");
    if (enabled_name == NULL || name_name == NULL || type_name == NULL || id_name == NULL || keep_name == NULL
        || criticality_text == NULL
        || PyType_Ready(&ObjectRowType) < 0 || PyType_Ready(&MemberType) < 0 || PyType_Ready(&VariableType) < 0)
        return -1;
    if (PyModule_AddObjectRef(module, "ObjectRow", (PyObject *)&ObjectRowType) < 0
        || PyModule_AddObjectRef(module, "Member", (PyObject *)&MemberType) < 0
        || PyModule_AddObjectRef(module, "Variable", (PyObject *)&VariableType) < 0)
        return -1;
    return 0;
}
