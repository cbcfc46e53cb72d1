/* tinyir's portable C kernels: what CMSIS-NN lacks, bit-exact with TFLite's
 * reference kernels (and with tinyir's numpy kernels, tinyir/kernels/).
 *
 * The C backend (tinyir/backends/c/) calls CMSIS-NN where it has a
 * kernel and these where it has none: PAD, MEAN, broadcasting ADD/MUL,
 * QUANTIZE from float, concatenation too large for arm_concatenation_s8_x,
 * LOGISTIC, HARD_SWISH, requantization and the standalone clamps (RELU...),
 * DEQUANTIZE, and the in-place depthwise convolution (one input channel at a
 * time through a temporary, see tinyir/inplace.py).
 *
 * Every function returns 0 on success, nonzero on bad arguments.
 * Requantization is TFLite's double-rounding MultiplyByQuantizedMultiplier.
 */
#ifndef TINYIR_KERNELS_H
#define TINYIR_KERNELS_H

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

#ifdef __cplusplus
}
#endif

#endif /* TINYIR_KERNELS_H */
