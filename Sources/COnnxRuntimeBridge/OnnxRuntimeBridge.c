// ONNX Runtime's C API is a table of function pointers (OrtApi) reached through
// OrtGetApiBase(). No package here ships its header (onnxruntime_c_api.h), so this file
// declares only what it calls: each entry's position in the table, which ONNX Runtime keeps
// fixed across releases (new entries are only appended), and its signature.
#include "OnnxRuntimeBridge.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct OrtEnv OrtEnv;
typedef struct OrtStatus OrtStatus;
typedef struct OrtSession OrtSession;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtValue OrtValue;
typedef struct OrtRunOptions OrtRunOptions;
typedef struct OrtTensorTypeAndShapeInfo OrtTensorTypeAndShapeInfo;
typedef struct OrtAllocator OrtAllocator;

typedef struct OrtApi { void *entries[131]; } OrtApi;
typedef struct OrtApiBase {
    const OrtApi *(*GetApi)(uint32_t version);
    const char *(*GetVersionString)(void);
} OrtApiBase;
extern const OrtApiBase *OrtGetApiBase(void);

// The API version asked for: 13 (ONNX Runtime 1.13) has everything used here.
enum { API_VERSION = 13 };
enum { LOGGING_LEVEL_ERROR = 3, ELEMENT_TYPE_FLOAT = 1, ARENA_ALLOCATOR = 1, MEMORY_TYPE_DEFAULT = 0, OPTIMIZE_ALL = 99 };

// Positions in the OrtApi table.
enum {
    GET_ERROR_MESSAGE = 2, CREATE_ENV = 3, CREATE_SESSION = 7, RUN = 9, CREATE_SESSION_OPTIONS = 10,
    SET_GRAPH_OPTIMIZATION_LEVEL = 23, SET_INTRA_OP_THREADS = 24, SET_INTER_OP_THREADS = 25,
    SESSION_INPUT_COUNT = 30, SESSION_OUTPUT_COUNT = 31, SESSION_INPUT_NAME = 36, SESSION_OUTPUT_NAME = 37,
    CREATE_TENSOR_WITH_DATA = 49, GET_TENSOR_MUTABLE_DATA = 51, GET_TENSOR_SHAPE_ELEMENT_COUNT = 64,
    GET_TENSOR_TYPE_AND_SHAPE = 65, CREATE_CPU_MEMORY_INFO = 69, ALLOCATOR_FREE = 76, DEFAULT_ALLOCATOR = 78,
    RELEASE_STATUS = 93, RELEASE_MEMORY_INFO = 94, RELEASE_SESSION = 95, RELEASE_VALUE = 96,
    RELEASE_TENSOR_TYPE_AND_SHAPE = 99, RELEASE_SESSION_OPTIONS = 100, ADD_SESSION_CONFIG_ENTRY = 130,
};

#define CALL(api, entry, type) ((type)(api)->entries[entry])

static const OrtApi *api;
static OrtEnv *environment;
static char setupFailure[256];
static pthread_once_t setupOnce = PTHREAD_ONCE_INIT;

struct EdcOrtNetwork {
    OrtSession *session;
    OrtMemoryInfo *memory;
    size_t inputCount, outputCount;
    char *inputName, *outputName;
};

/// Copies the status's message into `error` and releases it; returns -1 (0 for no status).
static int report(OrtStatus *status, const char *doing, char *error, size_t capacity) {
    if (status == NULL) return 0;
    const char *message = CALL(api, GET_ERROR_MESSAGE, const char *(*)(const OrtStatus *))(status);
    snprintf(error, capacity, "%s: %s", doing, message ? message : "unknown error");
    CALL(api, RELEASE_STATUS, void (*)(OrtStatus *))(status);
    return -1;
}

// One environment per process, as ONNX Runtime asks.
static void setUp(void) {
    const OrtApiBase *base = OrtGetApiBase();
    api = base ? base->GetApi(API_VERSION) : NULL;
    if (api == NULL) {
        snprintf(setupFailure, sizeof setupFailure, "this ONNX Runtime (%s) lacks API version %d",
                 base ? base->GetVersionString() : "?", API_VERSION);
        return;
    }
    OrtStatus *status = CALL(api, CREATE_ENV, OrtStatus *(*)(int, const char *, OrtEnv **))(LOGGING_LEVEL_ERROR, "edcontrol", &environment);
    if (report(status, "creating the runtime's environment", setupFailure, sizeof setupFailure) != 0) environment = NULL;
}

const char *edc_ort_version(void) {
    const OrtApiBase *base = OrtGetApiBase();
    return base ? base->GetVersionString() : "?";
}

/// The name of input or output `index`, copied (the runtime's copy is freed).
static char *name(OrtSession *session, int entry, size_t index) {
    OrtAllocator *allocator = NULL;
    if (CALL(api, DEFAULT_ALLOCATOR, OrtStatus *(*)(OrtAllocator **))(&allocator) != NULL) return NULL;
    char *value = NULL;
    OrtStatus *status = CALL(api, entry, OrtStatus *(*)(const OrtSession *, size_t, OrtAllocator *, char **))(session, index, allocator, &value);
    if (status != NULL) { CALL(api, RELEASE_STATUS, void (*)(OrtStatus *))(status); return NULL; }
    char *copy = strdup(value);
    CALL(api, ALLOCATOR_FREE, OrtStatus *(*)(OrtAllocator *, void *))(allocator, value);
    return copy;
}

EdcOrtNetwork *edc_ort_load(const char *path, int threads, char *error, size_t capacity) {
    pthread_once(&setupOnce, setUp);
    if (environment == NULL) { snprintf(error, capacity, "%s", setupFailure); return NULL; }
    OrtSessionOptions *options = NULL;
    if (report(CALL(api, CREATE_SESSION_OPTIONS, OrtStatus *(*)(OrtSessionOptions **))(&options), "session options", error, capacity)) return NULL;
    EdcOrtNetwork *network = calloc(1, sizeof *network);
    int failed = report(CALL(api, SET_INTRA_OP_THREADS, OrtStatus *(*)(OrtSessionOptions *, int))(options, threads < 1 ? 1 : threads), "threads", error, capacity)
        || report(CALL(api, SET_INTER_OP_THREADS, OrtStatus *(*)(OrtSessionOptions *, int))(options, 1), "threads", error, capacity)
        || report(CALL(api, SET_GRAPH_OPTIMIZATION_LEVEL, OrtStatus *(*)(OrtSessionOptions *, int))(options, OPTIMIZE_ALL), "optimisation", error, capacity)
        // Helper threads that spin while waiting for work would take CPU from the analysis's other stages.
        || report(CALL(api, ADD_SESSION_CONFIG_ENTRY, OrtStatus *(*)(OrtSessionOptions *, const char *, const char *))(options, "session.intra_op.allow_spinning", "0"), "spinning", error, capacity)
        || report(CALL(api, CREATE_SESSION, OrtStatus *(*)(const OrtEnv *, const char *, const OrtSessionOptions *, OrtSession **))(environment, path, options, &network->session), "loading the model", error, capacity)
        || report(CALL(api, CREATE_CPU_MEMORY_INFO, OrtStatus *(*)(int, int, OrtMemoryInfo **))(ARENA_ALLOCATOR, MEMORY_TYPE_DEFAULT, &network->memory), "memory", error, capacity)
        || report(CALL(api, SESSION_INPUT_COUNT, OrtStatus *(*)(const OrtSession *, size_t *))(network->session, &network->inputCount), "inputs", error, capacity)
        || report(CALL(api, SESSION_OUTPUT_COUNT, OrtStatus *(*)(const OrtSession *, size_t *))(network->session, &network->outputCount), "outputs", error, capacity);
    CALL(api, RELEASE_SESSION_OPTIONS, void (*)(OrtSessionOptions *))(options);
    if (!failed && network->inputCount > 0 && network->outputCount > 0) {
        network->inputName = name(network->session, SESSION_INPUT_NAME, 0);
        network->outputName = name(network->session, SESSION_OUTPUT_NAME, 0);
        if (network->inputName == NULL || network->outputName == NULL) {
            snprintf(error, capacity, "the model's input and output names cannot be read");
            failed = 1;
        }
    }
    if (failed) { edc_ort_free(network); return NULL; }
    return network;
}

void edc_ort_free(EdcOrtNetwork *network) {
    if (network == NULL) return;
    if (network->session) CALL(api, RELEASE_SESSION, void (*)(OrtSession *))(network->session);
    if (network->memory) CALL(api, RELEASE_MEMORY_INFO, void (*)(OrtMemoryInfo *))(network->memory);
    free(network->inputName);
    free(network->outputName);
    free(network);
}

int edc_ort_input_count(const EdcOrtNetwork *network) { return (int)network->inputCount; }
int edc_ort_output_count(const EdcOrtNetwork *network) { return (int)network->outputCount; }

int edc_ort_run(EdcOrtNetwork *network, const float *input, const int64_t *shape, int dims,
                float *output, size_t capacity, size_t *size, char *error, size_t error_capacity) {
    size_t count = 1;
    for (int i = 0; i < dims; i++) count *= (size_t)shape[i];
    OrtValue *tensor = NULL, *result = NULL;
    // The runtime reads the caller's buffer in place; it does not write to an input.
    if (report(CALL(api, CREATE_TENSOR_WITH_DATA, OrtStatus *(*)(const OrtMemoryInfo *, void *, size_t, const int64_t *, size_t, int, OrtValue **))(
                   network->memory, (void *)input, count * sizeof(float), shape, (size_t)dims, ELEMENT_TYPE_FLOAT, &tensor), "input", error, error_capacity))
        return -1;
    const char *inputs[] = {network->inputName}, *outputs[] = {network->outputName};
    const OrtValue *values[] = {tensor};
    int failed = report(CALL(api, RUN, OrtStatus *(*)(OrtSession *, const OrtRunOptions *, const char *const *, const OrtValue *const *, size_t, const char *const *, size_t, OrtValue **))(
                            network->session, NULL, inputs, values, 1, outputs, 1, &result), "running the model", error, error_capacity);
    OrtTensorTypeAndShapeInfo *info = NULL;
    float *data = NULL;
    if (!failed) failed = report(CALL(api, GET_TENSOR_TYPE_AND_SHAPE, OrtStatus *(*)(const OrtValue *, OrtTensorTypeAndShapeInfo **))(result, &info), "output shape", error, error_capacity)
        || report(CALL(api, GET_TENSOR_SHAPE_ELEMENT_COUNT, OrtStatus *(*)(const OrtTensorTypeAndShapeInfo *, size_t *))(info, size), "output size", error, error_capacity)
        || report(CALL(api, GET_TENSOR_MUTABLE_DATA, OrtStatus *(*)(OrtValue *, void **))(result, (void **)&data), "output data", error, error_capacity);
    if (!failed && *size > capacity) {
        snprintf(error, error_capacity, "the output has %zu values, more than the %zu expected", *size, capacity);
        failed = 1;
    }
    if (!failed) memcpy(output, data, *size * sizeof(float));
    if (info) CALL(api, RELEASE_TENSOR_TYPE_AND_SHAPE, void (*)(OrtTensorTypeAndShapeInfo *))(info);
    if (result) CALL(api, RELEASE_VALUE, void (*)(OrtValue *))(result);
    CALL(api, RELEASE_VALUE, void (*)(OrtValue *))(tensor);
    return failed ? -1 : 0;
}
