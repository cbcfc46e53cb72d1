/*
 * tinyir host runtime with the CMSIS-NN API: internal helpers.
 *
 * TFLite's integer arithmetic (gemmlowp fixed point, double-rounding
 * MultiplyByQuantizedMultiplier), written for portable C99 without undefined
 * behaviour: products in int64, shifts of signed values through uint32.
 * (Right shifts of negative values are arithmetic on every compiler we target.)
 */
#ifndef TINYIR_NN_SUPPORT_H
#define TINYIR_NN_SUPPORT_H

#include <stdint.h>

#include "arm_nnfunctions.h"

#define TINYIR_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TINYIR_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Two's complement wrap of an int64 to int32 (C's int32 overflow, made defined). */
static inline int32_t tinyir_wrap32(int64_t x)
{
    const uint32_t u = (uint32_t)((uint64_t)x & 0xFFFFFFFFu);
    return u <= 0x7FFFFFFFu ? (int32_t)u : (int32_t)(u - 0x80000000u) - 0x7FFFFFFF - 1;
}

/* gemmlowp SaturatingRoundingDoublingHighMul (int32). */
static inline int32_t tinyir_srdhm(int32_t a, int32_t b)
{
    if (a == b && a == NN_Q31_MIN)
    {
        return NN_Q31_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* truncating division, as gemmlowp */
}

/* gemmlowp RoundingDivideByPOT: x / 2^exponent, halves away from zero; 0 <= exponent <= 31. */
static inline int32_t tinyir_rdbp(int32_t x, int32_t exponent)
{
    const int64_t mask = ((int64_t)1 << exponent) - 1;
    const int64_t remainder = (int64_t)x & mask;
    const int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int32_t)(((int64_t)x >> exponent) + (remainder > threshold ? 1 : 0));
}

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> (int32), either sign. */
static inline int32_t tinyir_srmbp(int32_t x, int32_t exponent)
{
    if (exponent > 0)
    {
        const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
        if (x > threshold)
        {
            return NN_Q31_MAX;
        }
        if (x < -threshold)
        {
            return NN_Q31_MIN;
        }
        return tinyir_wrap32((int64_t)x * ((int64_t)1 << exponent));
    }
    if (exponent < 0)
    {
        return tinyir_rdbp(x, -exponent);
    }
    return x;
}

/* TFLite MultiplyByQuantizedMultiplier (double rounding, TFLITE_SINGLE_ROUNDING=0):
 * shift > 0 shifts left before the high multiply, shift < 0 divides after it. */
static inline int32_t tinyir_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return tinyir_rdbp(tinyir_srdhm(tinyir_wrap32((int64_t)x * ((int64_t)1 << left)), multiplier), right);
}

/* Requantize an accumulator to int8: + output offset, clamp to the activation range. */
static inline int8_t tinyir_output_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_offset,
                                      int32_t act_min, int32_t act_max)
{
    int32_t y = tinyir_requantize(acc, multiplier, shift) + output_offset;
    y = TINYIR_MAX(y, act_min);
    y = TINYIR_MIN(y, act_max);
    return (int8_t)y;
}

/* The tail of conv, depthwise and fully connected: the channel's bias (when
 * given), then requantize and clamp. */
static inline int8_t tinyir_channel_output_s8(int32_t acc, const int32_t *bias, int32_t channel, int32_t multiplier,
                                              int32_t shift, int32_t output_offset, int32_t act_min, int32_t act_max)
{
    if (bias != NULL)
    {
        acc += bias[channel];
    }
    return tinyir_output_s8(acc, multiplier, shift, output_offset, act_min, act_max);
}

static inline int8_t tinyir_clamp_s8(int32_t y, int32_t act_min, int32_t act_max)
{
    y = TINYIR_MAX(y, act_min);
    y = TINYIR_MIN(y, act_max);
    return (int8_t)y;
}

#endif /* TINYIR_NN_SUPPORT_H */
