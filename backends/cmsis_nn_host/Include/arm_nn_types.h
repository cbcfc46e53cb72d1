/*
 * tinyir host runtime with the CMSIS-NN API: arm_nn_types.h
 *
 * The structures of CMSIS-NN's public API (v7), with CMSIS-NN's names and
 * the same fields in the same order, so that code written for CMSIS-NN
 * (positional initializers included) compiles unchanged against this runtime.
 * Only the structures of the int8 kernels tinyir emits are here.
 *
 * Beware: cmsis_nn_tile is {w, h} (width first) while cmsis_nn_dims is
 * {n, h, w, c}.
 */
#ifndef ARM_NN_TYPES_H
#define ARM_NN_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Return codes. */
typedef enum
{
    ARM_CMSIS_NN_SUCCESS = 0,        /**< No error */
    ARM_CMSIS_NN_ARG_ERROR = -1,     /**< One or more arguments are incorrect */
    ARM_CMSIS_NN_NO_IMPL_ERROR = -2, /**< No implementation available */
    ARM_CMSIS_NN_FAILURE = -3,       /**< Logical error */
} arm_cmsis_nn_status;

/** Width and height of a tile (stride, padding, dilation): w first. */
typedef struct
{
    int32_t w;
    int32_t h;
} cmsis_nn_tile;

/** Function context: the scratch buffer a kernel may need. */
typedef struct
{
    void *buf;
    int32_t size;
} cmsis_nn_context;

/** Tensor dimensions. n is the batch, or the output channels of a conv filter. */
typedef struct
{
    int32_t n;
    int32_t h;
    int32_t w;
    int32_t c;
} cmsis_nn_dims;

/** Per-channel requantization: one multiplier and shift per output channel. */
typedef struct
{
    int32_t *multiplier;
    int32_t *shift;
} cmsis_nn_per_channel_quant_params;

/** Per-tensor requantization. */
typedef struct
{
    int32_t multiplier;
    int32_t shift;
} cmsis_nn_per_tensor_quant_params;

/** Per-tensor or per-channel requantization (arm_fully_connected_wrapper_s8). */
typedef struct
{
    int32_t *multiplier;
    int32_t *shift;
    int32_t is_per_channel;
} cmsis_nn_quant_params;

/** Clamp range of the (fused) activation. */
typedef struct
{
    int32_t min;
    int32_t max;
} cmsis_nn_activation;

/** Convolution parameters. input_offset = -input zero point,
 *  output_offset = +output zero point; padding is the top/left padding. */
typedef struct
{
    int32_t input_offset;
    int32_t output_offset;
    cmsis_nn_tile stride;
    cmsis_nn_tile padding;
    cmsis_nn_tile dilation;
    cmsis_nn_activation activation;
} cmsis_nn_conv_params;

/** Depthwise convolution parameters; ch_mult * input channels = output channels. */
typedef struct
{
    int32_t input_offset;
    int32_t output_offset;
    int32_t ch_mult;
    cmsis_nn_tile stride;
    cmsis_nn_tile padding;
    cmsis_nn_tile dilation;
    cmsis_nn_activation activation;
} cmsis_nn_dw_conv_params;

/** Pooling parameters. */
typedef struct
{
    cmsis_nn_tile stride;
    cmsis_nn_tile padding;
    cmsis_nn_activation activation;
} cmsis_nn_pool_params;

/** Fully connected parameters; filter_offset = -filter zero point. */
typedef struct
{
    int32_t input_offset;
    int32_t filter_offset;
    int32_t output_offset;
    cmsis_nn_activation activation;
} cmsis_nn_fc_params;

/** Transpose parameters: output dimension i is input dimension permutations[i]. */
typedef struct
{
    const int32_t num_dims;
    const uint32_t *permutations;
} cmsis_nn_transpose_params;

#ifdef __cplusplus
}
#endif

#endif /* ARM_NN_TYPES_H */
