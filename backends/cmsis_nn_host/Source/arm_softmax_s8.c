/*
 * tinyir host runtime with the CMSIS-NN API: int8 softmax, bit-exact with
 * TFLite's reference/softmax.h (quantized Softmax with int8 output: gemmlowp
 * fixed point, 5 integer bits for the scaled differences, 12 for the sum of
 * exponentials). mult/shift/diff_min come from TFLite's
 * PreprocessSoftmaxScaling / CalculateInputRadius (tinyir.quantization.softmax_params).
 */
#include "tinyir_nn_support.h"

#define TINYIR_SOFTMAX_ACCUM_BITS 12

/* gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl: F0 -> F0. */
static int32_t tinyir_exp_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668;     /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = tinyir_wrap32((int64_t)a + ((int64_t)1 << 28)); /* a + 1/8 */
    const int32_t x2 = tinyir_srdhm(x, x);
    const int32_t x3 = tinyir_srdhm(x2, x);
    const int32_t x4 = tinyir_srdhm(x2, x2);
    const int32_t x4_over_4 = tinyir_rdbp(x4, 2);
    const int32_t poly = tinyir_rdbp(
        tinyir_wrap32((int64_t)tinyir_srdhm(tinyir_wrap32((int64_t)x4_over_4 + x3), constant_1_over_3) + x2), 1);
    return tinyir_wrap32((int64_t)constant_term +
                         tinyir_srdhm(constant_term, tinyir_wrap32((int64_t)x + poly)));
}

/* gemmlowp exp_on_negative_values for a FixedPoint<int32, 5> a <= 0: F5 -> F0. */
static int32_t tinyir_exp_on_negative_values_f5(int32_t a)
{
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t fractional_bits = 31 - 5;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
    int32_t result = tinyir_exp_quarter(tinyir_srmbp(a_mod_quarter_minus_one_quarter, 5));
    const int32_t remainder = tinyir_wrap32((int64_t)a_mod_quarter_minus_one_quarter - a);
    for (int32_t i = 0; i < 7; i++)
    {
        /* exponents -2 .. 4: the bit of 2^exponent in F5 */
        const int32_t bit = (int32_t)(((int64_t)1 << (fractional_bits - 2 + i)) & 0x7FFFFFFF);
        if (remainder & bit)
        {
            result = tinyir_srdhm(result, barrel[i]);
        }
    }
    return a == 0 ? NN_Q31_MAX : result;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: F0 -> F0 (Newton-Raphson). */
static int32_t tinyir_one_over_one_plus_x(int32_t a)
{
    const int64_t s = (int64_t)a + NN_Q31_MAX;
    const int32_t half_denominator = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2); /* RoundingHalfSum */
    const int32_t constant_48_over_17 = 1515870810;     /* F2 */
    const int32_t constant_neg_32_over_17 = -1010580540; /* F2 */
    int32_t x = tinyir_wrap32((int64_t)constant_48_over_17 + tinyir_srdhm(half_denominator, constant_neg_32_over_17));
    const int32_t f2_one = (int32_t)1 << 29;
    for (int32_t i = 0; i < 3; i++)
    {
        const int32_t half_denominator_times_x = tinyir_srdhm(half_denominator, x);
        const int32_t one_minus = tinyir_wrap32((int64_t)f2_one - half_denominator_times_x);
        x = tinyir_wrap32((int64_t)x + tinyir_srmbp(tinyir_srdhm(x, one_minus), 2));
    }
    return tinyir_srmbp(x, 1);
}

/* Number of leading zeros of a 32-bit value (32 for zero). */
static int32_t tinyir_clz32(uint32_t u)
{
    int32_t n = 0;
    if (u == 0)
    {
        return 32;
    }
    while ((u & 0x80000000u) == 0)
    {
        u <<= 1;
        n++;
    }
    return n;
}

void arm_softmax_s8(const int8_t *input,
                    const int32_t num_rows,
                    const int32_t row_size,
                    const int32_t mult,
                    const int32_t shift,
                    const int32_t diff_min,
                    int8_t *output)
{
    for (int32_t r = 0; r < num_rows; r++)
    {
        const int8_t *in = input + (size_t)r * row_size;
        int8_t *out = output + (size_t)r * row_size;
        int32_t max_in_row = NN_Q7_MIN;
        for (int32_t c = 0; c < row_size; c++)
        {
            max_in_row = TINYIR_MAX(max_in_row, (int32_t)in[c]);
        }
        int32_t sum_of_exps = 0;
        for (int32_t c = 0; c < row_size; c++)
        {
            const int32_t diff = (int32_t)in[c] - max_in_row;
            if (diff >= diff_min)
            {
                /* MultiplyByQuantizedMultiplierGreaterThanOne: shift >= 0 */
                const int32_t scaled = tinyir_requantize(diff, mult, shift);
                const int32_t e = tinyir_exp_on_negative_values_f5(scaled);
                sum_of_exps = tinyir_wrap32((int64_t)sum_of_exps + tinyir_rdbp(e, TINYIR_SOFTMAX_ACCUM_BITS));
            }
        }
        /* GetReciprocal(sum, 12) */
        const int32_t headroom_plus_one = tinyir_clz32((uint32_t)sum_of_exps);
        const int32_t num_bits_over_unit = TINYIR_SOFTMAX_ACCUM_BITS - headroom_plus_one;
        const uint32_t shifted_sum = headroom_plus_one < 32 ? (uint32_t)sum_of_exps << headroom_plus_one : 0u;
        const int32_t shifted_scale = tinyir_one_over_one_plus_x(tinyir_wrap32((int64_t)shifted_sum - 0x80000000LL));
        /* TFLite requires 0 <= exponent <= 31 (it aborts otherwise); clamp
         * to keep the shift defined. */
        const int32_t exponent = TINYIR_MIN(TINYIR_MAX(num_bits_over_unit + 31 - 8, 0), 31);
        for (int32_t c = 0; c < row_size; c++)
        {
            const int32_t diff = (int32_t)in[c] - max_in_row;
            if (diff >= diff_min)
            {
                const int32_t e = tinyir_exp_on_negative_values_f5(tinyir_requantize(diff, mult, shift));
                const int32_t unsat = tinyir_rdbp(tinyir_srdhm(shifted_scale, e), exponent);
                out[c] = tinyir_clamp_s8(unsat - 128, NN_Q7_MIN, NN_Q7_MAX);
            }
            else
            {
                out[c] = NN_Q7_MIN;
            }
        }
    }
}
