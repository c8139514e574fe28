// A plain C API over the few ONNX Runtime calls EdControl makes: load a network for the CPU
// and run it on one float tensor. The library is the libonnxruntime.so that the
// sherpa-onnx-core wheel ships beside sherpa-onnx (scripts/setup.sh unpacks it into .deps/).
#ifndef EDC_ONNX_RUNTIME_BRIDGE_H
#define EDC_ONNX_RUNTIME_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct EdcOrtNetwork EdcOrtNetwork;

/// Loads the ONNX model at `path` to run on the calling thread plus `threads - 1` helpers.
/// NULL on failure, with the reason in `error`.
EdcOrtNetwork *edc_ort_load(const char *path, int threads, char *error, size_t error_capacity);
void edc_ort_free(EdcOrtNetwork *network);

/// The runtime's version, such as "1.28.2".
const char *edc_ort_version(void);

/// Number of the network's inputs and outputs.
int edc_ort_input_count(const EdcOrtNetwork *network);
int edc_ort_output_count(const EdcOrtNetwork *network);

/// Runs the network on its only input, a float tensor of `dims` dimensions `shape[0..dims-1]`,
/// and copies its first output (float) into `output`, which holds `capacity` values;
/// `size` receives its element count. Returns 0, or -1 with the reason in `error`
/// (including an output too large for the buffer).
int edc_ort_run(EdcOrtNetwork *network, const float *input, const int64_t *shape, int dims,
                float *output, size_t capacity, size_t *size, char *error, size_t error_capacity);

#ifdef __cplusplus
}
#endif

#endif
