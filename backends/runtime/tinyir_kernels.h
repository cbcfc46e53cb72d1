/* tinyir's portable C kernels: what CMSIS-NN lacks, bit-exact with TFLite's
 * reference kernels (and with tinyir's numpy kernels, tinyir/kernels/).
 *
 * The C backend (tinyir/backends/c/) calls CMSIS-NN where it has a
 * kernel and these where it has none: PAD, MEAN, broadcasting ADD/MUL,
 * SUB, SQUARED_DIFFERENCE, PRELU, clamped or rank > 4 MINIMUM/MAXIMUM,
 * LEAKY_RELU, TANH, LOG_SOFTMAX, ARG_MAX,
 * QUANTIZE from float, concatenation too large for arm_concatenation_s8_x,
 * slices (SLICE, STRIDED_SLICE, SPLIT),
 * LOGISTIC, HARD_SWISH, RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR,
 * requantization and the standalone clamps (RELU...),
 * DEQUANTIZE, and the in-place depthwise convolution (one input channel at a
 * time through a temporary, see tinyir/inplace.py); and every op of float
 * models (`*_f32`, at the end: CMSIS-NN's float kernels are not used).
 *
 * Every function returns 0 on success, nonzero on bad arguments.
 * Requantization is TFLite's double-rounding MultiplyByQuantizedMultiplier.
 */
#ifndef TINYIR_KERNELS_H
#define TINYIR_KERNELS_H

#include <math.h> /* INFINITY: the bounds of an unclamped float kernel */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TINYIR_MAX_RANK 6

/* Requantization then clamp: clamp(output_zero_point + MultiplyByQuantizedMultiplier(
 * x - input_zero_point, multiplier, shift)) to [activation_min, activation_max]:
 * int8 QUANTIZE (requantize) and the standalone RELU / RELU6 / RELU_N1_TO_1 (tiny.clamp). */
int32_t tinyir_requantize_s8(const int8_t *input,
                             int8_t *output,
                             int32_t size,
                             int32_t input_zero_point,
                             int32_t output_zero_point,
                             int32_t multiplier,
                             int32_t shift,
                             int32_t activation_min,
                             int32_t activation_max);

/* DEQUANTIZE: (float)((double)scale * (x - zero_point)) */
int32_t tinyir_dequantize_s8_f32(const int8_t *input, float *output, int32_t size, double scale, int32_t zero_point);

/* LOGISTIC (int8, output scale 1/256, zero point -128): TFLite's
 * reference_integer_ops::Logistic, gemmlowp fixed point. The parameters are
 * tinyir.quantization.logistic_params. */
int32_t tinyir_logistic_s8(const int8_t *input,
                           int8_t *output,
                           int32_t size,
                           int32_t input_zero_point,
                           int32_t input_multiplier,
                           int32_t input_left_shift,
                           int32_t input_range_radius);

/* HARD_SWISH (int8): TFLite's reference_ops::HardSwish in int16 fixed point.
 * The parameters are tinyir.quantization.hard_swish_params. */
typedef struct
{
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t output_multiplier_fixedpoint_int16;
    int32_t output_multiplier_exponent;
    int32_t reluish_multiplier_fixedpoint_int16;
    int32_t reluish_multiplier_exponent;
} tinyir_hard_swish_params;

int32_t tinyir_hard_swish_s8(const int8_t *input, int8_t *output, int32_t size, const tinyir_hard_swish_params *params);

/* QUANTIZE float -> int8: clamp(zero_point + round_half_away(x / scale)) in float32 */
int32_t tinyir_quantize_f32_s8(const float *input, int8_t *output, int32_t size, float scale, int32_t zero_point);

/* PAD with a constant: output_shape[d] = before[d] + input_shape[d] + after[d] */
int32_t tinyir_pad_s8(const int8_t *input,
                      int8_t *output,
                      int32_t rank,
                      const int32_t *input_shape,
                      const int32_t *output_shape,
                      const int32_t *before,
                      int8_t value);

/* MEAN over the dimensions d with reduce[d] != 0 (count = their product);
 * the output holds the kept dimensions in order. */
int32_t tinyir_mean_s8(const int8_t *input,
                       int8_t *output,
                       int32_t rank,
                       const int32_t *input_shape,
                       const uint8_t *reduce,
                       int32_t count,
                       int32_t input_zero_point,
                       int32_t output_zero_point,
                       int32_t multiplier,
                       int32_t shift);

/* Broadcasting: the output shape and each input's element strides (0 along a
 * broadcast dimension), all of `rank` entries. */
typedef struct
{
    int32_t rank;
    int32_t shape[TINYIR_MAX_RANK];
    int32_t stride_1[TINYIR_MAX_RANK];
    int32_t stride_2[TINYIR_MAX_RANK];
} tinyir_broadcast;

/* ADD (int8) with broadcasting: TFLite's AddFunc. */
typedef struct
{
    int32_t left_shift;
    int32_t input_1_offset, input_1_multiplier, input_1_shift;
    int32_t input_2_offset, input_2_multiplier, input_2_shift;
    int32_t output_offset, output_multiplier, output_shift;
    int32_t activation_min, activation_max;
} tinyir_add_params;

int32_t tinyir_add_broadcast_s8(const int8_t *input_1,
                                const int8_t *input_2,
                                int8_t *output,
                                const tinyir_broadcast *shape,
                                const tinyir_add_params *params);

/* MUL (int8) with broadcasting: (x1 + offset1) * (x2 + offset2), requantized. */
typedef struct
{
    int32_t input_1_offset, input_2_offset;
    int32_t output_offset, output_multiplier, output_shift;
    int32_t activation_min, activation_max;
} tinyir_mul_params;

int32_t tinyir_mul_broadcast_s8(const int8_t *input_1,
                                const int8_t *input_2,
                                int8_t *output,
                                const tinyir_broadcast *shape,
                                const tinyir_mul_params *params);

/* Concatenation of one input along an axis: the tensors seen as [outer, axis * inner]. */
int32_t tinyir_concat_s8(const int8_t *input,
                         int8_t *output,
                         int32_t outer,
                         int32_t input_row_bytes,
                         int32_t output_row_bytes,
                         int32_t offset_bytes);

/* A strided window of the input (SLICE, STRIDED_SLICE, SPLIT): output index i
 * along dimension d reads input index begin[d] + i * stride[d] (a stride may
 * be negative); elements of element_bytes bytes, copied unchanged. */
int32_t tinyir_slice(const void *input,
                     void *output,
                     int32_t element_bytes,
                     int32_t rank,
                     const int32_t *input_shape,
                     const int32_t *output_shape,
                     const int32_t *begin,
                     const int32_t *stride);

/* RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR (int8, NHWC) on tables of
 * source coordinates per output row and column, computed at compile time
 * (tinyir.numerics.kernels.resize). Nearest: rows[out_h], cols[out_w] hold
 * source indices. Bilinear: rows[3 * out_h], cols[3 * out_w] hold, per
 * output index, the lower and upper source index and the source coordinate
 * in fixed point with 10 fraction bits (TFLite's ResizeBilinearInteger). */
typedef struct
{
    int32_t batches, in_h, in_w, channels, out_h, out_w;
} tinyir_resize_dims;

int32_t tinyir_resize_nearest_s8(const int8_t *input,
                                 int8_t *output,
                                 const tinyir_resize_dims *dims,
                                 const int32_t *rows,
                                 const int32_t *cols);

int32_t tinyir_resize_bilinear_s8(const int8_t *input,
                                  int8_t *output,
                                  const tinyir_resize_dims *dims,
                                  const int32_t *rows,
                                  const int32_t *cols);

/* Depthwise convolution (batch 1, depth multiplier 1) whose output is the
 * first out_h * out_w * channels bytes of its input's buffer: for each
 * channel c, the input channel is copied into `temp` (in_h * in_w bytes),
 * then output channel c is computed from it. */
typedef struct
{
    int32_t in_h, in_w, channels, out_h, out_w;
    int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
    int32_t input_offset, output_offset, activation_min, activation_max;
} tinyir_dw_inplace_params;

int32_t tinyir_depthwise_conv_inplace_s8(const tinyir_dw_inplace_params *params,
                                         const int8_t *input,
                                         int8_t *output,
                                         int8_t *temp,
                                         int32_t temp_size,
                                         const int8_t *filter,
                                         const int32_t *bias,
                                         const int32_t *multiplier,
                                         const int32_t *shift);

/* SUB (int8) with broadcasting: TFLite's BroadcastQuantSubSlow (ADD's
 * parameters, tinyir.quantization.sub_params). */
int32_t tinyir_sub_broadcast_s8(const int8_t *input_1,
                                const int8_t *input_2,
                                int8_t *output,
                                const tinyir_broadcast *shape,
                                const tinyir_add_params *params);

/* SQUARED_DIFFERENCE (int8) with broadcasting: TFLM's squared_difference.cc
 * (left_shift 7; tinyir.quantization.squared_difference_params). */
int32_t tinyir_squared_difference_broadcast_s8(const int8_t *input_1,
                                               const int8_t *input_2,
                                               int8_t *output,
                                               const tinyir_broadcast *shape,
                                               const tinyir_add_params *params);

/* PRELU (int8), alpha (input_2) broadcast: TFLite's BroadcastPrelu4DSlow
 * (tinyir.quantization.prelu_params). */
typedef struct
{
    int32_t input_offset, alpha_offset, output_offset;
    int32_t output_multiplier_1, output_shift_1;
    int32_t output_multiplier_2, output_shift_2;
    int32_t activation_min, activation_max;
} tinyir_prelu_params;

int32_t tinyir_prelu_broadcast_s8(const int8_t *input_1,
                                  const int8_t *input_2,
                                  int8_t *output,
                                  const tinyir_broadcast *shape,
                                  const tinyir_prelu_params *params);

/* MINIMUM, MAXIMUM (int8) of the raw values with broadcasting, then a clamp
 * (CMSIS-NN's arm_minimum_s8 / arm_maximum_s8 have no clamp, take rank 4 at
 * most and misplace some broadcasts: backends/c/elementwise.py calls them where they are right). */
int32_t tinyir_minimum_broadcast_s8(const int8_t *input_1,
                                    const int8_t *input_2,
                                    int8_t *output,
                                    const tinyir_broadcast *shape,
                                    int32_t activation_min,
                                    int32_t activation_max);

int32_t tinyir_maximum_broadcast_s8(const int8_t *input_1,
                                    const int8_t *input_2,
                                    int8_t *output,
                                    const tinyir_broadcast *shape,
                                    int32_t activation_min,
                                    int32_t activation_max);

/* LEAKY_RELU (int8): TFLite's QuantizeLeakyRelu (tinyir.quantization.leaky_relu_params). */
typedef struct
{
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t output_multiplier_alpha;
    int32_t output_shift_alpha;
    int32_t output_multiplier_identity;
    int32_t output_shift_identity;
} tinyir_leaky_relu_params;

int32_t tinyir_leaky_relu_s8(const int8_t *input, int8_t *output, int32_t size, const tinyir_leaky_relu_params *params);

/* TANH (int8, output scale 1/128, zero point 0): TFLite's
 * reference_integer_ops::Tanh, gemmlowp fixed point; LOGISTIC's parameters
 * (tinyir.quantization.tanh_params). */
int32_t tinyir_tanh_s8(const int8_t *input,
                       int8_t *output,
                       int32_t size,
                       int32_t input_zero_point,
                       int32_t input_multiplier,
                       int32_t input_left_shift,
                       int32_t input_range_radius);

/* LOG_SOFTMAX (int8, output scale 16/256, zero point 127) over rows of
 * `depth` values: TFLite's LogSoftmaxQuantized (tinyir.quantization.log_softmax_params). */
typedef struct
{
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t reverse_scaling_divisor;
    int32_t reverse_scaling_shift;
    int32_t diff_min;
} tinyir_log_softmax_params;

int32_t tinyir_log_softmax_s8(
    const int8_t *input, int8_t *output, int32_t rows, int32_t depth, const tinyir_log_softmax_params *params);

/* ARG_MAX (int8 -> int32) over the middle axis of [outer, axis_size, inner]:
 * the index of the first largest value. */
int32_t tinyir_arg_max_s8(const int8_t *input, int32_t *output, int32_t outer, int32_t axis_size, int32_t inner);

/* ---- float32 kernels (float models) ----
 * Each output element in float32, in one fixed order: the one of
 * tinyir.numerics.kernels.floating and of TFLite's reference float kernels
 * (products summed from 0 over ky, kx, ci, taps in the padding skipped, the
 * bias added last, then the clamp [activation_min, activation_max], +-INFINITY
 * for none; pools and MEAN sum in row-major order, then divide by the count).
 * Compiled without FMA contraction (-ffp-contract=off) and without
 * -ffast-math they are bit-exact with the executor. exp is (float)exp((double)x). */

/* A window op's dims and attributes (conv, depthwise conv, pools), NHWC. */
typedef struct
{
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
    int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
    float activation_min, activation_max;
} tinyir_window_f32;

/* CONV_2D: filter [out_c, kernel_h, kernel_w, filter_depth], groups of
 * in_c / filter_depth input channels; bias NULL for none. */
int32_t tinyir_conv_f32(const tinyir_window_f32 *p,
                        const float *input,
                        const float *filter,
                        int32_t filter_depth,
                        const float *bias,
                        float *output);

/* DEPTHWISE_CONV_2D: filter [1, kernel_h, kernel_w, out_c], output channel o
 * reads input channel o / (out_c / in_c). */
int32_t tinyir_depthwise_conv_f32(
    const tinyir_window_f32 *p, const float *input, const float *filter, const float *bias, float *output);

/* FULLY_CONNECTED: rows of `depth` inputs times filter [units, depth]^T. */
int32_t tinyir_fully_connected_f32(const float *input,
                                   const float *filter,
                                   const float *bias,
                                   float *output,
                                   int32_t rows,
                                   int32_t depth,
                                   int32_t units,
                                   float activation_min,
                                   float activation_max);

/* AVERAGE_POOL_2D (padding not counted) and MAX_POOL_2D. */
int32_t tinyir_avg_pool_f32(const tinyir_window_f32 *p, const float *input, float *output);
int32_t tinyir_max_pool_f32(const tinyir_window_f32 *p, const float *input, float *output);

/* ADD and MUL with broadcasting, then the clamp. */
int32_t tinyir_add_broadcast_f32(const float *input_1,
                                 const float *input_2,
                                 float *output,
                                 const tinyir_broadcast *shape,
                                 float activation_min,
                                 float activation_max);
int32_t tinyir_mul_broadcast_f32(const float *input_1,
                                 const float *input_2,
                                 float *output,
                                 const tinyir_broadcast *shape,
                                 float activation_min,
                                 float activation_max);

/* MEAN over the dimensions d with reduce[d] != 0 (count = their product). */
int32_t tinyir_mean_f32(
    const float *input, float *output, int32_t rank, const int32_t *input_shape, const uint8_t *reduce, int32_t count);

/* SOFTMAX over rows of `depth` values. */
int32_t tinyir_softmax_f32(const float *input, float *output, int32_t rows, int32_t depth, float beta);

/* LOGISTIC (TFLite's reference cut-offs), HARD_SWISH, the clamps (RELU...). */
int32_t tinyir_logistic_f32(const float *input, float *output, int32_t size);
int32_t tinyir_hard_swish_f32(const float *input, float *output, int32_t size);
int32_t tinyir_clamp_f32(const float *input, float *output, int32_t size, float activation_min, float activation_max);

/* PAD with a constant (as tinyir_pad_s8). */
int32_t tinyir_pad_f32(const float *input,
                       float *output,
                       int32_t rank,
                       const int32_t *input_shape,
                       const int32_t *output_shape,
                       const int32_t *before,
                       float value);

/* TRANSPOSE: output dimension d is input dimension perm[d]; elements of
 * element_bytes bytes, copied unchanged. */
int32_t tinyir_transpose(const void *input,
                         void *output,
                         int32_t element_bytes,
                         int32_t rank,
                         const int32_t *input_shape,
                         const int32_t *perm);

#ifdef __cplusplus
}
#endif

#endif /* TINYIR_KERNELS_H */
