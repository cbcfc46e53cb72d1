/* tinyir's portable C kernels; see tinyir_kernels.h. Bit-exact with TFLite's
 * reference kernels: the arithmetic follows tinyir/fixedpoint.py and
 * tinyir/kernels/ line by line (int32 wrap-around done in uint32). */
#include "tinyir_kernels.h"
#include "tinyir_index.h"

#include <math.h>
#include <string.h>

/* gemmlowp SaturatingRoundingDoublingHighMul (int32). */
static int32_t srdhm(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN)
    {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31)); /* truncating division */
}

/* gemmlowp RoundingDivideByPOT. */
static int32_t rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((1ULL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier (double rounding). */
static int32_t mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return rounding_divide_by_pot(srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

/* TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0). */
static int32_t mbqm_smaller_than_one(int32_t x, int32_t multiplier, int32_t shift)
{
    return rounding_divide_by_pot(srdhm(x, multiplier), -shift);
}

static int8_t clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
    if (lo < -128)
    {
        lo = -128;
    }
    if (hi > 127)
    {
        hi = 127;
    }
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

/* int32 wrap-around arithmetic (C signed overflow is undefined) */
static int32_t wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static int32_t wrap_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> (exponent > 0). */
static int32_t saturating_rounding_multiply_by_pot(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)((1U << (31 - exponent)) - 1);
    if (x > threshold)
    {
        return INT32_MAX;
    }
    if (x < -threshold)
    {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl (F0 -> F0). */
static int32_t exp_on_interval(int32_t a)
{
    const int32_t constant_term = 1895147668; /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = wrap_add(a, 1 << 28);
    const int32_t x2 = srdhm(x, x);
    const int32_t x3 = srdhm(x2, x);
    const int32_t x4 = srdhm(x2, x2);
    const int32_t x4_over_4 = rounding_divide_by_pot(x4, 2);
    const int32_t t = wrap_add(srdhm(wrap_add(x4_over_4, x3), constant_1_over_3), x2);
    const int32_t poly = rounding_divide_by_pot(t, 1);
    return wrap_add(constant_term, srdhm(constant_term, wrap_add(x, poly)));
}

/* gemmlowp exp_on_negative_values: FixedPoint<int32, integer_bits> (a <= 0) -> F0. */
static int32_t exp_on_negative_values(int32_t a, int32_t integer_bits)
{
    static const int32_t barrel[7][2] = {
        {-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308}, {2, 39332535}, {3, 720401}, {4, 242}};
    const int32_t fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = 1 << (fractional_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
    int32_t result = exp_on_interval(saturating_rounding_multiply_by_pot(a_mod_quarter_minus_one_quarter, integer_bits));
    const int32_t remainder = wrap_sub(a_mod_quarter_minus_one_quarter, a);
    for (int32_t i = 0; i < 7 && integer_bits > barrel[i][0]; i++)
    {
        const int32_t bit = 1 << (fractional_bits + barrel[i][0]);
        if (remainder & bit)
        {
            result = srdhm(result, barrel[i][1]);
        }
    }
    if (integer_bits > 5 && a < -(1 << (36 - integer_bits)))
    {
        result = 0;
    }
    return a == 0 ? INT32_MAX : result;
}

/* gemmlowp RoundingHalfSum for int32. */
static int32_t rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    const int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

/* 1 / (1 + a) in F2 for a in [0, 1) (F0): gemmlowp's Newton-Raphson division. */
static int32_t newton_raphson_reciprocal_f2(int32_t a)
{
    const int32_t half_denominator = rounding_half_sum(a, INT32_MAX);
    const int32_t constant_48_over_17 = 1515870810;
    const int32_t constant_neg_32_over_17 = -1010580540;
    int32_t x = wrap_add(constant_48_over_17, srdhm(half_denominator, constant_neg_32_over_17));
    const int32_t f2_one = 1 << 29;
    for (int32_t i = 0; i < 3; i++)
    {
        const int32_t half_denominator_times_x = srdhm(half_denominator, x);
        const int32_t one_minus = wrap_sub(f2_one, half_denominator_times_x);
        x = wrap_add(x, saturating_rounding_multiply_by_pot(srdhm(x, one_minus), 2));
    }
    return x;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1 (F0 -> F0). */
static int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    return saturating_rounding_multiply_by_pot(newton_raphson_reciprocal_f2(a), 1);
}

/* gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1: (1 - a) / (1 + a), F0 -> F0. */
static int32_t one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    return saturating_rounding_multiply_by_pot(wrap_sub(newton_raphson_reciprocal_f2(a), 1 << 29), 2);
}

/* gemmlowp logistic: FixedPoint<int32, 4> -> F0. */
static int32_t logistic_f4(int32_t a)
{
    if (a == 0)
    {
        return 1 << 30;
    }
    const int32_t abs_input = a > 0 ? a : wrap_sub(0, a);
    const int32_t if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(wrap_sub(0, abs_input), 4));
    return a > 0 ? if_positive : wrap_sub(INT32_MAX, if_positive);
}

int32_t tinyir_requantize_s8(const int8_t *input,
                             int8_t *output,
                             int32_t size,
                             int32_t input_zero_point,
                             int32_t output_zero_point,
                             int32_t multiplier,
                             int32_t shift,
                             int32_t activation_min,
                             int32_t activation_max)
{
    for (int32_t i = 0; i < size; i++)
    {
        const int32_t y = mbqm(input[i] - input_zero_point, multiplier, shift) + output_zero_point;
        output[i] = clamp_s8(y, activation_min, activation_max);
    }
    return 0;
}

int32_t tinyir_dequantize_s8_f32(const int8_t *input, float *output, int32_t size, double scale, int32_t zero_point)
{
    for (int32_t i = 0; i < size; i++)
    {
        output[i] = (float)(scale * (double)(input[i] - zero_point));
    }
    return 0;
}

/* LOGISTIC and TANH: inputs beyond the radius saturate; the others, rescaled
 * to Q4.27, go through `of_q4`, which gives the int8 output. */
static void saturating_q4_s8(const int8_t *input,
                             int8_t *output,
                             int32_t size,
                             int32_t input_zero_point,
                             int32_t input_multiplier,
                             int32_t input_left_shift,
                             int32_t input_range_radius,
                             int8_t (*of_q4)(int32_t))
{
    for (int32_t i = 0; i < size; i++)
    {
        const int32_t x = input[i] - input_zero_point;
        if (x <= -input_range_radius)
        {
            output[i] = -128;
        }
        else if (x >= input_range_radius)
        {
            output[i] = 127;
        }
        else
        {
            output[i] = of_q4(mbqm(x, input_multiplier, input_left_shift));
        }
    }
}

static int8_t logistic_of_q4(int32_t in_q4)
{
    return clamp_s8(rounding_divide_by_pot(logistic_f4(in_q4), 31 - 8) - 128, -128, 127);
}

int32_t tinyir_logistic_s8(const int8_t *input,
                           int8_t *output,
                           int32_t size,
                           int32_t input_zero_point,
                           int32_t input_multiplier,
                           int32_t input_left_shift,
                           int32_t input_range_radius)
{
    saturating_q4_s8(input, output, size, input_zero_point, input_multiplier, input_left_shift, input_range_radius,
                     logistic_of_q4);
    return 0;
}

/* int16 helpers of reference_ops::HardSwish */
static int32_t wrap_int16(int32_t x)
{
    return (int32_t)(int16_t)(uint16_t)(uint32_t)x;
}

static int32_t srdhm_int16(int32_t a, int32_t b)
{
    if (a == b && a == INT16_MIN)
    {
        return INT16_MAX;
    }
    const int32_t ab = a * b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return wrap_int16((ab + nudge) / (1 << 15));
}

static int32_t sdhm_int16(int32_t a, int32_t b) /* SaturatingDoublingHighMul: no rounding */
{
    if (a == b && a == INT16_MIN)
    {
        return INT16_MAX;
    }
    return wrap_int16((a * b) / (1 << 15));
}

static int32_t saturating_left_shift_int16(int32_t x, int32_t amount)
{
    const int32_t y = x * (1 << amount);
    return y < INT16_MIN ? INT16_MIN : (y > INT16_MAX ? INT16_MAX : y);
}

int32_t tinyir_hard_swish_s8(const int8_t *input, int8_t *output, int32_t size, const tinyir_hard_swish_params *p)
{
    for (int32_t i = 0; i < size; i++)
    {
        const int32_t hires = (input[i] - p->input_zero_point) * (1 << 7);
        const int32_t preshift_output = srdhm_int16(hires, p->output_multiplier_fixedpoint_int16);
        int32_t reluish = hires;
        if (p->reluish_multiplier_exponent > 0)
        {
            reluish = saturating_left_shift_int16(reluish, p->reluish_multiplier_exponent - 1);
        }
        reluish = srdhm_int16(reluish, p->reluish_multiplier_fixedpoint_int16);
        if (p->reluish_multiplier_exponent > 0)
        {
            reluish = saturating_left_shift_int16(reluish, 1);
        }
        if (p->reluish_multiplier_exponent < 0)
        {
            reluish = rounding_divide_by_pot(reluish, -p->reluish_multiplier_exponent);
        }
        reluish = (reluish + (1 << 15)) >> 1;
        const int32_t preshift = sdhm_int16(reluish, preshift_output);
        const int32_t y = wrap_int16(rounding_divide_by_pot(preshift, -p->output_multiplier_exponent) +
                                     p->output_zero_point);
        output[i] = clamp_s8(y, -128, 127);
    }
    return 0;
}

int32_t tinyir_quantize_f32_s8(const float *input, int8_t *output, int32_t size, float scale, int32_t zero_point)
{
    for (int32_t i = 0; i < size; i++)
    {
        const float r = roundf(input[i] / scale); /* std::round: half away from zero */
        /* static_cast<int32_t>: out of range (and NaN) is INT32_MIN on x86-64 */
        const int32_t q = (r >= -2147483648.0f && r < 2147483648.0f) ? (int32_t)r : INT32_MIN;
        output[i] = clamp_s8((int32_t)((uint32_t)q + (uint32_t)zero_point), -128, 127);
    }
    return 0;
}

int32_t tinyir_pad_s8(const int8_t *input,
                      int8_t *output,
                      int32_t rank,
                      const int32_t *input_shape,
                      const int32_t *output_shape,
                      const int32_t *before,
                      int8_t value)
{
    if (rank < 1 || rank > TINYIR_MAX_RANK)
    {
        return 1;
    }
    int32_t total = 1;
    for (int32_t d = 0; d < rank; d++)
    {
        total *= output_shape[d];
    }
    memset(output, value, (size_t)total);
    int32_t out_stride[TINYIR_MAX_RANK];
    row_major_strides(out_stride, output_shape, rank);
    /* copy the input row by row (rows along the last dimension) */
    const int32_t row = input_shape[rank - 1];
    int32_t index[TINYIR_MAX_RANK] = {0};
    for (int32_t d = 0; d < rank; d++)
    {
        if (input_shape[d] <= 0)
        {
            return 0;
        }
    }
    const int32_t outer_rank = rank - 1;
    do
    {
        int32_t offset = before[rank - 1];
        for (int32_t d = 0; d < outer_rank; d++)
        {
            offset += (index[d] + before[d]) * out_stride[d];
        }
        memcpy(output + offset, input, (size_t)row);
        input += row;
    } while (outer_rank > 0 && next_index(index, input_shape, outer_rank, NULL, 1));
    return 0;
}

int32_t tinyir_mean_s8(const int8_t *input,
                       int8_t *output,
                       int32_t rank,
                       const int32_t *input_shape,
                       const uint8_t *reduce,
                       int32_t count,
                       int32_t input_zero_point,
                       int32_t output_zero_point,
                       int32_t multiplier,
                       int32_t shift)
{
    if (rank < 1 || rank > TINYIR_MAX_RANK)
    {
        return 1;
    }
    int32_t stride[TINYIR_MAX_RANK];
    row_major_strides(stride, input_shape, rank);
    int32_t index[TINYIR_MAX_RANK] = {0};
    do
    {
        for (int32_t d = 0; d < rank; d++)
        {
            if (reduce[d])
            {
                index[d] = 0;
            }
        }
        uint32_t sum = 0; /* an int32 accumulator that wraps, as in TFLite */
        do
        {
            const int32_t offset = offset_of(index, stride, rank);
            sum += (uint32_t)(int32_t)input[offset];
        } while (next_index(index, input_shape, rank, reduce, 1));
        const int32_t shifted = (int32_t)(sum - (uint32_t)input_zero_point * (uint32_t)count);
        *output++ = clamp_s8(mbqm(shifted, multiplier, shift) + output_zero_point, -128, 127);
    } while (next_index(index, input_shape, rank, reduce, 0));
    return 0;
}

/* An input of ADD, SUB or SQUARED_DIFFERENCE shifted left and rescaled to the common scale. */
static int32_t rescaled_input(int32_t value, int32_t offset, int32_t left_shift, int32_t multiplier, int32_t shift)
{
    return mbqm_smaller_than_one((int32_t)((uint32_t)(value + offset) << left_shift), multiplier, shift);
}

/* element i1 of input_1, i2 of input_2, rescaled by tinyir_add_params p */
#define TINYIR_RESCALED_1(p, i1)                                                                                       \
    rescaled_input(input_1[i1], p->input_1_offset, p->left_shift, p->input_1_multiplier, p->input_1_shift)
#define TINYIR_RESCALED_2(p, i2)                                                                                       \
    rescaled_input(input_2[i2], p->input_2_offset, p->left_shift, p->input_2_multiplier, p->input_2_shift)

int32_t tinyir_add_broadcast_s8(const int8_t *input_1,
                                const int8_t *input_2,
                                int8_t *output,
                                const tinyir_broadcast *shape,
                                const tinyir_add_params *p)
{
#define TINYIR_ADD_ONE(i1, i2, o)                                                                                      \
    {                                                                                                                  \
        const int32_t y_ = mbqm_smaller_than_one(TINYIR_RESCALED_1(p, i1) + TINYIR_RESCALED_2(p, i2),                  \
                                                 p->output_multiplier, p->output_shift) + p->output_offset;            \
        output[o] = clamp_s8(y_, p->activation_min, p->activation_max);                                               \
    }
    TINYIR_BROADCAST_LOOP(shape, TINYIR_ADD_ONE);
#undef TINYIR_ADD_ONE
    return 0;
}

int32_t tinyir_mul_broadcast_s8(const int8_t *input_1,
                                const int8_t *input_2,
                                int8_t *output,
                                const tinyir_broadcast *shape,
                                const tinyir_mul_params *p)
{
#define TINYIR_MUL_ONE(i1, i2, o)                                                                                      \
    {                                                                                                                  \
        const int32_t prod_ = (input_1[i1] + p->input_1_offset) * (input_2[i2] + p->input_2_offset);                  \
        const int32_t y_ = mbqm(prod_, p->output_multiplier, p->output_shift) + p->output_offset;                     \
        output[o] = clamp_s8(y_, p->activation_min, p->activation_max);                                               \
    }
    TINYIR_BROADCAST_LOOP(shape, TINYIR_MUL_ONE);
#undef TINYIR_MUL_ONE
    return 0;
}

int32_t tinyir_concat_s8(const int8_t *input,
                         int8_t *output,
                         int32_t outer,
                         int32_t input_row_bytes,
                         int32_t output_row_bytes,
                         int32_t offset_bytes)
{
    for (int32_t i = 0; i < outer; i++)
    {
        memcpy(output + (size_t)i * (size_t)output_row_bytes + offset_bytes,
               input + (size_t)i * (size_t)input_row_bytes,
               (size_t)input_row_bytes);
    }
    return 0;
}

int32_t tinyir_resize_nearest_s8(const int8_t *input,
                                 int8_t *output,
                                 const tinyir_resize_dims *dims,
                                 const int32_t *rows,
                                 const int32_t *cols)
{
    const size_t channels = (size_t)dims->channels;
    const size_t in_row = (size_t)dims->in_w * channels;
    for (int32_t b = 0; b < dims->batches; b++)
    {
        const int8_t *image = input + (size_t)b * (size_t)dims->in_h * in_row;
        for (int32_t y = 0; y < dims->out_h; y++)
        {
            const int8_t *row = image + (size_t)rows[y] * in_row;
            for (int32_t x = 0; x < dims->out_w; x++)
            {
                memcpy(output, row + (size_t)cols[x] * channels, channels);
                output += channels;
            }
        }
    }
    return 0;
}

int32_t tinyir_resize_bilinear_s8(const int8_t *input,
                                  int8_t *output,
                                  const tinyir_resize_dims *dims,
                                  const int32_t *rows,
                                  const int32_t *cols)
{
    const int32_t one = 1 << 10;
    const size_t channels = (size_t)dims->channels;
    const size_t in_row = (size_t)dims->in_w * channels;
    for (int32_t b = 0; b < dims->batches; b++)
    {
        const int8_t *image = input + (size_t)b * (size_t)dims->in_h * in_row;
        for (int32_t y = 0; y < dims->out_h; y++)
        {
            const int8_t *top = image + (size_t)rows[3 * y] * in_row;
            const int8_t *bottom = image + (size_t)rows[3 * y + 1] * in_row;
            const int64_t dy = rows[3 * y + 2] - one * rows[3 * y];
            for (int32_t x = 0; x < dims->out_w; x++)
            {
                const size_t left = (size_t)cols[3 * x] * channels;
                const size_t right = (size_t)cols[3 * x + 1] * channels;
                const int64_t dx = cols[3 * x + 2] - one * cols[3 * x];
                for (size_t c = 0; c < channels; c++)
                {
                    /* ResizeBilinearInteger: 20 fraction bits, TFLite's double rounding */
                    const int64_t sum = top[left + c] * (one - dy) * (one - dx) + bottom[left + c] * dy * (one - dx) +
                                        top[right + c] * (one - dy) * dx + bottom[right + c] * dy * dx;
                    const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
                    *output++ = (int8_t)((sum + round) / (1 << 20));
                }
            }
        }
    }
    return 0;
}

int32_t tinyir_slice(const void *input,
                     void *output,
                     int32_t element_bytes,
                     int32_t rank,
                     const int32_t *input_shape,
                     const int32_t *output_shape,
                     const int32_t *begin,
                     const int32_t *stride)
{
    if (rank < 1 || rank > TINYIR_MAX_RANK || element_bytes < 1)
    {
        return 1;
    }
    int32_t in_stride[TINYIR_MAX_RANK]; /* in elements */
    row_major_strides(in_stride, input_shape, rank);
    for (int32_t d = 0; d < rank; d++)
    {
        if (output_shape[d] <= 0)
        {
            return 0;
        }
    }
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    const int32_t last = rank - 1;
    const int32_t run = output_shape[last];
    const size_t bytes = (size_t)element_bytes;
    int32_t index[TINYIR_MAX_RANK] = {0};
    /* one run along the last dimension per index of the others */
    do
    {
        int32_t offset = begin[last];
        for (int32_t d = 0; d < last; d++)
        {
            offset += (begin[d] + index[d] * stride[d]) * in_stride[d];
        }
        const uint8_t *from = in + (size_t)offset * bytes;
        if (stride[last] == 1)
        {
            memcpy(out, from, (size_t)run * bytes);
            out += (size_t)run * bytes;
        }
        else
        {
            const int32_t step = stride[last] * element_bytes;
            for (int32_t i = 0; i < run; i++, from += step, out += bytes)
            {
                memcpy(out, from, bytes);
            }
        }
    } while (last > 0 && next_index(index, output_shape, last, NULL, 1));
    return 0;
}

int32_t tinyir_depthwise_conv_inplace_s8(const tinyir_dw_inplace_params *p,
                                         const int8_t *input,
                                         int8_t *output,
                                         int8_t *temp,
                                         int32_t temp_size,
                                         const int8_t *filter,
                                         const int32_t *bias,
                                         const int32_t *multiplier,
                                         const int32_t *shift)
{
    const int32_t channels = p->channels;
    if (temp_size < p->in_h * p->in_w || p->out_h * p->out_w > p->in_h * p->in_w)
    {
        return 1;
    }
    for (int32_t c = 0; c < channels; c++)
    {
        /* save input channel c: output channel c overwrites only its bytes */
        for (int32_t i = 0; i < p->in_h * p->in_w; i++)
        {
            temp[i] = input[i * channels + c];
        }
        for (int32_t oy = 0; oy < p->out_h; oy++)
        {
            for (int32_t ox = 0; ox < p->out_w; ox++)
            {
                const int32_t y0 = oy * p->stride_h - p->pad_top;
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                int32_t acc = 0;
                for (int32_t ky = 0; ky < p->kernel_h; ky++)
                {
                    const int32_t iy = y0 + ky * p->dilation_h;
                    if (iy < 0 || iy >= p->in_h)
                    {
                        continue;
                    }
                    for (int32_t kx = 0; kx < p->kernel_w; kx++)
                    {
                        const int32_t ix = x0 + kx * p->dilation_w;
                        if (ix < 0 || ix >= p->in_w)
                        {
                            continue;
                        }
                        const int32_t w = filter[(ky * p->kernel_w + kx) * channels + c];
                        acc += (temp[iy * p->in_w + ix] + p->input_offset) * w;
                    }
                }
                if (bias != NULL)
                {
                    acc += bias[c];
                }
                const int32_t y = mbqm(acc, multiplier[c], shift[c]) + p->output_offset;
                output[(oy * p->out_w + ox) * channels + c] = clamp_s8(y, p->activation_min, p->activation_max);
            }
        }
    }
    return 0;
}

/* SUB, SQUARED_DIFFERENCE, PRELU, MINIMUM, MAXIMUM, with broadcasting */

int32_t tinyir_sub_broadcast_s8(const int8_t *input_1,
                                const int8_t *input_2,
                                int8_t *output,
                                const tinyir_broadcast *shape,
                                const tinyir_add_params *p)
{
#define TINYIR_SUB_ONE(i1, i2, o)                                                                                      \
    {                                                                                                                  \
        const int32_t y_ = mbqm_smaller_than_one(TINYIR_RESCALED_1(p, i1) - TINYIR_RESCALED_2(p, i2),                  \
                                                 p->output_multiplier, p->output_shift) + p->output_offset;            \
        output[o] = clamp_s8(y_, p->activation_min, p->activation_max);                                               \
    }
    TINYIR_BROADCAST_LOOP(shape, TINYIR_SUB_ONE);
#undef TINYIR_SUB_ONE
    return 0;
}

int32_t tinyir_squared_difference_broadcast_s8(const int8_t *input_1,
                                               const int8_t *input_2,
                                               int8_t *output,
                                               const tinyir_broadcast *shape,
                                               const tinyir_add_params *p)
{
    /* |difference| < 2^15 with left_shift 7: its square fits an int32 */
#define TINYIR_SQUARED_DIFFERENCE_ONE(i1, i2, o)                                                                       \
    {                                                                                                                  \
        const int32_t d_ = TINYIR_RESCALED_1(p, i1) - TINYIR_RESCALED_2(p, i2);                                        \
        const int32_t y_ = mbqm(d_ * d_, p->output_multiplier, p->output_shift) + p->output_offset;                   \
        output[o] = clamp_s8(y_, p->activation_min, p->activation_max);                                               \
    }
    TINYIR_BROADCAST_LOOP(shape, TINYIR_SQUARED_DIFFERENCE_ONE);
#undef TINYIR_SQUARED_DIFFERENCE_ONE
    return 0;
}

int32_t tinyir_prelu_broadcast_s8(const int8_t *input_1,
                                  const int8_t *input_2,
                                  int8_t *output,
                                  const tinyir_broadcast *shape,
                                  const tinyir_prelu_params *p)
{
#define TINYIR_PRELU_ONE(i1, i2, o)                                                                                    \
    {                                                                                                                  \
        const int32_t x_ = input_1[i1] + p->input_offset;                                                              \
        const int32_t y_ = x_ >= 0 ? mbqm(x_, p->output_multiplier_1, p->output_shift_1)                               \
                                   : mbqm(x_ * (input_2[i2] + p->alpha_offset), p->output_multiplier_2,               \
                                          p->output_shift_2);                                                          \
        output[o] = clamp_s8(y_ + p->output_offset, p->activation_min, p->activation_max);                            \
    }
    TINYIR_BROADCAST_LOOP(shape, TINYIR_PRELU_ONE);
#undef TINYIR_PRELU_ONE
    return 0;
}

int32_t tinyir_minimum_broadcast_s8(const int8_t *input_1,
                                    const int8_t *input_2,
                                    int8_t *output,
                                    const tinyir_broadcast *shape,
                                    int32_t activation_min,
                                    int32_t activation_max)
{
#define TINYIR_MINIMUM_ONE(i1, i2, o)                                                                                  \
    output[o] = clamp_s8(input_1[i1] < input_2[i2] ? input_1[i1] : input_2[i2], activation_min, activation_max);
    TINYIR_BROADCAST_LOOP(shape, TINYIR_MINIMUM_ONE);
#undef TINYIR_MINIMUM_ONE
    return 0;
}

int32_t tinyir_maximum_broadcast_s8(const int8_t *input_1,
                                    const int8_t *input_2,
                                    int8_t *output,
                                    const tinyir_broadcast *shape,
                                    int32_t activation_min,
                                    int32_t activation_max)
{
#define TINYIR_MAXIMUM_ONE(i1, i2, o)                                                                                  \
    output[o] = clamp_s8(input_1[i1] > input_2[i2] ? input_1[i1] : input_2[i2], activation_min, activation_max);
    TINYIR_BROADCAST_LOOP(shape, TINYIR_MAXIMUM_ONE);
#undef TINYIR_MAXIMUM_ONE
    return 0;
}

/* LEAKY_RELU, TANH */

int32_t tinyir_leaky_relu_s8(const int8_t *input, int8_t *output, int32_t size, const tinyir_leaky_relu_params *p)
{
    for (int32_t i = 0; i < size; i++)
    {
        const int32_t x = input[i] - p->input_zero_point;
        const int32_t y = x >= 0 ? mbqm(x, p->output_multiplier_identity, p->output_shift_identity)
                                 : mbqm(x, p->output_multiplier_alpha, p->output_shift_alpha);
        output[i] = clamp_s8(p->output_zero_point + y, -128, 127);
    }
    return 0;
}

/* gemmlowp tanh: FixedPoint<int32, 4> -> F0, as (1 - exp(-2|a|)) / (1 + exp(-2|a|)) with a's sign. */
static int32_t tanh_f4(int32_t a)
{
    if (a == 0)
    {
        return 0;
    }
    const int32_t minus_abs = a < 0 ? a : wrap_sub(0, a);
    /* exp of ExactMulByPot<1>(-|a|): the same raw value in F5 */
    const int32_t t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(minus_abs, 5));
    return a < 0 ? wrap_sub(0, t) : t;
}

static int8_t tanh_of_q4(int32_t in_q4)
{
    return clamp_s8(rounding_divide_by_pot(tanh_f4(in_q4), 31 - 7), -128, 127);
}

int32_t tinyir_tanh_s8(const int8_t *input,
                       int8_t *output,
                       int32_t size,
                       int32_t input_zero_point,
                       int32_t input_multiplier,
                       int32_t input_left_shift,
                       int32_t input_range_radius)
{
    saturating_q4_s8(input, output, size, input_zero_point, input_multiplier, input_left_shift, input_range_radius,
                     tanh_of_q4);
    return 0;
}

/* LOG_SOFTMAX */

static int32_t count_leading_zeros_u32(uint32_t x)
{
    int32_t n = 0;
    if (x == 0)
    {
        return 32;
    }
    while ((x & 0x80000000u) == 0)
    {
        x <<= 1;
        n++;
    }
    return n;
}

/* TFLite SaturatingAddNonGemmlowp and SaturatingSub for int32. */
static int32_t saturate_int32(int64_t x)
{
    return (int32_t)(x > INT32_MAX ? INT32_MAX : (x < INT32_MIN ? INT32_MIN : x));
}

/* TFLite SaturatingRoundingMultiplyByPOTParam, exponent >= 0. */
static int32_t saturating_rounding_multiply_by_pot_param(int32_t x, int32_t exponent)
{
    return exponent == 0 ? x : saturating_rounding_multiply_by_pot(x, exponent);
}

/* TFLite log_x_for_x_greater_than_or_equal_to_1_impl (common.h):
 * FixedPoint<int32, input_integer_bits> -> FixedPoint<int32, output_integer_bits>. */
static int32_t log_x_for_x_greater_than_or_equal_to_1(int32_t x,
                                                      int32_t output_integer_bits,
                                                      int32_t input_integer_bits)
{
    const int32_t log_2 = 1488522236;
    const int32_t sqrt_sqrt_half = 1805811301;
    const int32_t sqrt_half = 1518500250;
    const int32_t one_quarter = 536870912;
    const int32_t alpha_n = 117049297;
    const int32_t alpha_d = 127690142;
    const int32_t alpha_i = 1057819769;
    const int32_t alpha_f = 638450708;
    const int32_t accum_integer_bits = output_integer_bits + 1; /* a bit of headroom */
    const int32_t shifted_quarter = rounding_divide_by_pot(one_quarter, accum_integer_bits);

    const int32_t z_a_headroom_plus_1 = count_leading_zeros_u32((uint32_t)x);
    const int32_t r_a_tmp = saturating_rounding_multiply_by_pot_param(x, z_a_headroom_plus_1 - 1);
    const int32_t r_a_raw = saturating_rounding_multiply_by_pot_param(srdhm(r_a_tmp, sqrt_half), 1);
    const int32_t z_a_pow_2_adj = saturate_int32(
        (int64_t)saturating_rounding_multiply_by_pot_param(input_integer_bits - z_a_headroom_plus_1,
                                                           31 - accum_integer_bits) +
        shifted_quarter);
    const int32_t z_b = srdhm(x, sqrt_half);
    const int32_t z_b_headroom = count_leading_zeros_u32((uint32_t)z_b) - 1;
    const int32_t r_b_raw = saturating_rounding_multiply_by_pot_param(x, z_b_headroom);
    const int32_t z_b_pow_2_adj = saturate_int32(
        (int64_t)saturating_rounding_multiply_by_pot_param(input_integer_bits - z_b_headroom, 31 - accum_integer_bits) -
        shifted_quarter);
    const int32_t r = r_a_raw < r_b_raw ? r_a_raw : r_b_raw;
    const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;

    const int32_t p = rounding_half_sum(r, sqrt_sqrt_half);
    int32_t q = wrap_sub(r, sqrt_sqrt_half);
    q = wrap_add(q, q);
    const int32_t common_sq = srdhm(q, q);
    const int32_t num = wrap_add(srdhm(q, r), srdhm(srdhm(q, common_sq), alpha_n));
    const int32_t denom_minus_one_0 =
        wrap_add(srdhm(p, wrap_add(wrap_add(alpha_i, q), srdhm(alpha_d, common_sq))), srdhm(alpha_f, q));
    const int32_t recip_denom = one_over_one_plus_x_for_x_in_0_1(denom_minus_one_0);
    const int32_t num_scaled = rounding_divide_by_pot(num, accum_integer_bits);
    const int32_t total = wrap_add(srdhm(z_pow_2_adj, log_2), srdhm(num_scaled, recip_denom));
    return saturating_rounding_multiply_by_pot(total, accum_integer_bits - output_integer_bits);
}

int32_t tinyir_log_softmax_s8(
    const int8_t *input, int8_t *output, int32_t rows, int32_t depth, const tinyir_log_softmax_params *p)
{
    const int32_t input_integer_bits = 5, accumulation_integer_bits = 12, output_integer_bits = 4;
    for (int32_t row = 0; row < rows; row++, input += depth, output += depth)
    {
        int32_t max_in_row = -128;
        for (int32_t c = 0; c < depth; c++)
        {
            max_in_row = input[c] > max_in_row ? input[c] : max_in_row;
        }
        int32_t sum_of_exps = 0; /* F12 */
        for (int32_t c = 0; c < depth; c++)
        {
            const int32_t diff = input[c] - max_in_row;
            if (diff >= p->diff_min)
            {
                const int32_t diff_in_q5 = mbqm(diff, p->input_multiplier, p->input_left_shift);
                const int32_t exp_of_diff = exp_on_negative_values(diff_in_q5, input_integer_bits); /* F0 */
                sum_of_exps = wrap_add(sum_of_exps, rounding_divide_by_pot(exp_of_diff, accumulation_integer_bits));
            }
        }
        const int32_t log_sum_of_exps =
            log_x_for_x_greater_than_or_equal_to_1(sum_of_exps, input_integer_bits, accumulation_integer_bits);
        const int32_t scaled_back =
            mbqm(wrap_add(log_sum_of_exps, INT32_MIN), p->reverse_scaling_divisor, p->reverse_scaling_shift);
        const int32_t adjusted_diff_min = scaled_back > p->diff_min - 1 ? scaled_back : p->diff_min - 1;
        for (int32_t c = 0; c < depth; c++)
        {
            const int32_t diff = input[c] - max_in_row;
            if (diff > adjusted_diff_min)
            {
                const int32_t diff_in_q5 = mbqm(diff, p->input_multiplier, p->input_left_shift);
                const int32_t y = rounding_divide_by_pot(wrap_sub(diff_in_q5, log_sum_of_exps),
                                                         31 - input_integer_bits - output_integer_bits);
                output[c] = clamp_s8(y + 127, -128, 127);
            }
            else
            {
                output[c] = -128;
            }
        }
    }
    return 0;
}

/* ARG_MAX */

int32_t tinyir_arg_max_s8(const int8_t *input, int32_t *output, int32_t outer, int32_t axis_size, int32_t inner)
{
    for (int32_t o = 0; o < outer; o++)
    {
        for (int32_t i = 0; i < inner; i++)
        {
            const int8_t *x = input + (size_t)o * (size_t)axis_size * (size_t)inner + i;
            int32_t best = 0;
            for (int32_t a = 1; a < axis_size; a++)
            {
                if (x[(size_t)a * (size_t)inner] > x[(size_t)best * (size_t)inner]) /* the first maximum stays */
                {
                    best = a;
                }
            }
            output[(size_t)o * (size_t)inner + i] = best;
        }
    }
    return 0;
}

int32_t tinyir_transpose(const void *input,
                         void *output,
                         int32_t element_bytes,
                         int32_t rank,
                         const int32_t *input_shape,
                         const int32_t *perm)
{
    if (rank < 1 || rank > TINYIR_MAX_RANK)
    {
        return 1;
    }
    int32_t in_stride[TINYIR_MAX_RANK], out_shape[TINYIR_MAX_RANK];
    row_major_strides(in_stride, input_shape, rank);
    for (int32_t d = 0; d < rank; d++)
    {
        if (perm[d] < 0 || perm[d] >= rank)
        {
            return 1;
        }
        out_shape[d] = input_shape[perm[d]];
        if (out_shape[d] <= 0)
        {
            return 0;
        }
    }
    const uint8_t *x = (const uint8_t *)input;
    uint8_t *y = (uint8_t *)output;
    int32_t index[TINYIR_MAX_RANK] = {0};
    do /* the output in row-major order */
    {
        int32_t offset = 0;
        for (int32_t d = 0; d < rank; d++)
        {
            offset += index[d] * in_stride[perm[d]];
        }
        memcpy(y, x + (size_t)offset * (size_t)element_bytes, (size_t)element_bytes);
        y += element_bytes;
    } while (next_index(index, out_shape, rank, NULL, 1));
    return 0;
}
