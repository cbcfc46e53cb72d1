/* tinyir's portable C kernels; see tinyir_kernels.h. Bit-exact with TFLite's
 * reference kernels: the arithmetic follows tinyir/fixedpoint.py and
 * tinyir/kernels/ line by line (int32 wrap-around done in uint32). */
#include "tinyir_kernels.h"

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

/* Next index of an odometer over the dimensions d with use[d] != 0 (or all
 * when use is NULL); returns 0 after the last one. */
static int32_t next_index(int32_t *index, const int32_t *shape, int32_t rank, const uint8_t *use, uint8_t want)
{
    for (int32_t d = rank - 1; d >= 0; d--)
    {
        if (use != NULL && (use[d] != 0) != want)
        {
            continue;
        }
        if (++index[d] < shape[d])
        {
            return 1;
        }
        index[d] = 0;
    }
    return 0;
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

/* gemmlowp exp_on_negative_values for FixedPoint<int32, 4> (a <= 0) -> F0. */
static int32_t exp_on_negative_values_f4(int32_t a)
{
    static const int32_t barrel[6][2] = {
        {-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308}, {2, 39332535}, {3, 720401}};
    const int32_t integer_bits = 4;
    const int32_t fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = 1 << (fractional_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
    int32_t result = exp_on_interval(saturating_rounding_multiply_by_pot(a_mod_quarter_minus_one_quarter, integer_bits));
    const int32_t remainder = wrap_sub(a_mod_quarter_minus_one_quarter, a);
    for (int32_t i = 0; i < 6; i++)
    {
        const int32_t bit = 1 << (fractional_bits + barrel[i][0]);
        if (remainder & bit)
        {
            result = srdhm(result, barrel[i][1]);
        }
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

/* gemmlowp one_over_one_plus_x_for_x_in_0_1 (F0 -> F0). */
static int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a)
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
    return saturating_rounding_multiply_by_pot(x, 1);
}

/* gemmlowp logistic: FixedPoint<int32, 4> -> F0. */
static int32_t logistic_f4(int32_t a)
{
    if (a == 0)
    {
        return 1 << 30;
    }
    const int32_t abs_input = a > 0 ? a : wrap_sub(0, a);
    const int32_t if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values_f4(wrap_sub(0, abs_input)));
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

int32_t tinyir_logistic_s8(const int8_t *input,
                           int8_t *output,
                           int32_t size,
                           int32_t input_zero_point,
                           int32_t input_multiplier,
                           int32_t input_left_shift,
                           int32_t input_range_radius)
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
            const int32_t in_q4 = mbqm(x, input_multiplier, input_left_shift);
            const int32_t out_q0 = logistic_f4(in_q4);
            output[i] = clamp_s8(rounding_divide_by_pot(out_q0, 31 - 8) - 128, -128, 127);
        }
    }
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
    out_stride[rank - 1] = 1;
    for (int32_t d = rank - 2; d >= 0; d--)
    {
        out_stride[d] = out_stride[d + 1] * output_shape[d + 1];
    }
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
    stride[rank - 1] = 1;
    for (int32_t d = rank - 2; d >= 0; d--)
    {
        stride[d] = stride[d + 1] * input_shape[d + 1];
    }
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
            int32_t offset = 0;
            for (int32_t d = 0; d < rank; d++)
            {
                offset += index[d] * stride[d];
            }
            sum += (uint32_t)(int32_t)input[offset];
        } while (next_index(index, input_shape, rank, reduce, 1));
        const int32_t shifted = (int32_t)(sum - (uint32_t)input_zero_point * (uint32_t)count);
        *output++ = clamp_s8(mbqm(shifted, multiplier, shift) + output_zero_point, -128, 127);
    } while (next_index(index, input_shape, rank, reduce, 0));
    return 0;
}

/* Calls body(i1, i2, o) over the broadcast output in row-major order. */
#define TINYIR_BROADCAST_LOOP(bc, body)                                                                                \
    do                                                                                                                 \
    {                                                                                                                  \
        int32_t index_[TINYIR_MAX_RANK] = {0};                                                                         \
        int32_t o_ = 0;                                                                                                \
        int32_t more_ = 1;                                                                                             \
        while (more_)                                                                                                  \
        {                                                                                                              \
            int32_t i1_ = 0, i2_ = 0;                                                                                  \
            for (int32_t d_ = 0; d_ < (bc)->rank; d_++)                                                                \
            {                                                                                                          \
                i1_ += index_[d_] * (bc)->stride_1[d_];                                                                \
                i2_ += index_[d_] * (bc)->stride_2[d_];                                                                \
            }                                                                                                          \
            body(i1_, i2_, o_);                                                                                        \
            o_++;                                                                                                      \
            more_ = next_index(index_, (bc)->shape, (bc)->rank, NULL, 1);                                              \
        }                                                                                                              \
    } while (0)

int32_t tinyir_add_broadcast_s8(const int8_t *input_1,
                                const int8_t *input_2,
                                int8_t *output,
                                const tinyir_broadcast *shape,
                                const tinyir_add_params *p)
{
    if (shape->rank < 1 || shape->rank > TINYIR_MAX_RANK)
    {
        return 1;
    }
#define TINYIR_ADD_ONE(i1, i2, o)                                                                                      \
    {                                                                                                                  \
        const int32_t a_ = mbqm_smaller_than_one(                                                                      \
            (int32_t)((uint32_t)(input_1[i1] + p->input_1_offset) << p->left_shift), p->input_1_multiplier,           \
            p->input_1_shift);                                                                                         \
        const int32_t b_ = mbqm_smaller_than_one(                                                                      \
            (int32_t)((uint32_t)(input_2[i2] + p->input_2_offset) << p->left_shift), p->input_2_multiplier,           \
            p->input_2_shift);                                                                                         \
        const int32_t y_ = mbqm_smaller_than_one(a_ + b_, p->output_multiplier, p->output_shift) + p->output_offset;  \
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
    if (shape->rank < 1 || shape->rank > TINYIR_MAX_RANK)
    {
        return 1;
    }
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
