/* tinyir's portable C kernels of partial execution; see tinyir_tiles.h.
 * Bit-exact with tinyir's reference executor (tinyir/executor.py, _input_tile)
 * and so with TFLite: int32 sums, TFLite's double-rounding requantization.
 * Written for Cortex-M: int32 accumulators, no division, no allocation; on
 * cores with the DSP extension (Cortex-M4, M7, M33, M55: ACLE's
 * __ARM_FEATURE_SIMD32) the dot products take four channels at a time with
 * SXTB16 and SMLAD (exact integer arithmetic: the same sums). */
#include "tinyir_tiles.h"

#include <string.h>

#if defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
#include <arm_acle.h>
#define TINYIR_TILES_SIMD32 1

/* Four int8 as one word (an unaligned load where the core allows it). */
static inline int32_t load_s8x4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Bytes 0 and 2 of a word as two int16. */
static inline int16x2_t even_s16x2(int32_t v)
{
    return __sxtb16(v);
}

/* Bytes 1 and 3 of a word as two int16: SXTB16 of the word rotated by 8 (one
 * instruction; GCC does not fold the rotation into SXTB16 by itself). */
static inline int16x2_t odd_s16x2(int32_t v)
{
#if defined(__GNUC__) || defined(__clang__)
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
#else
    const uint32_t u = (uint32_t)v;
    return __sxtb16((int32_t)((u >> 8) | (u << 24)));
#endif
}
#endif

/* What a kernel call does with a sum: the first tile stores it into the
 * accumulator, the ones after add to it, the last one requantizes. */
enum
{
    TILE_FIRST = 1,
    TILE_LAST = 2
};

/* TFLite's MultiplyByQuantizedMultiplier (double rounding): gemmlowp's
 * SaturatingRoundingDoublingHighMul of x << left, then RoundingDivideByPOT. */
static inline int32_t requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t a = (int32_t)((uint32_t)x << left);
    if (a == INT32_MIN && multiplier == INT32_MIN)
    {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)multiplier;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    const int32_t high = (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* truncating, as gemmlowp */
    const int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
    const int32_t remainder = high & mask;
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + (remainder > threshold ? 1 : 0);
}

static inline int8_t output_s8(int32_t sum, int32_t multiplier, int32_t shift, const tinyir_input_tile_params *p)
{
    int32_t y = requantize(sum, multiplier, shift) + p->output_offset;
    y = y < p->activation_min ? p->activation_min : y;
    y = y > p->activation_max ? p->activation_max : y;
    return (int8_t)y;
}

/* The tile's sum `s` of output element `index` (channel `o`) plus what came
 * before it (the accumulator, or at the first tile the channel's constant
 * term): into the accumulator, or at the last tile requantized into the output. */
static inline void finish(int32_t mode,
                          int32_t index,
                          int32_t o,
                          int32_t s,
                          const int32_t *constants,
                          int32_t *acc,
                          int8_t *output,
                          const int32_t *multiplier,
                          const int32_t *shift,
                          int32_t quant_step,
                          const tinyir_input_tile_params *p)
{
    s += (mode & TILE_FIRST) ? (constants != NULL ? constants[o] : 0) : acc[index];
    if (mode & TILE_LAST)
    {
        output[index] = output_s8(s, multiplier[o * quant_step], shift[o * quant_step], p);
    }
    else
    {
        acc[index] = s;
    }
}

static int32_t tile_mode(const tinyir_input_tile_params *p, int32_t tile)
{
    return (tile == 0 ? TILE_FIRST : 0) | (tile == p->tiles - 1 ? TILE_LAST : 0);
}

static int32_t bad_params(const tinyir_input_tile_params *p, int32_t tile)
{
    return p->tiles < 1 || tile < 0 || tile >= p->tiles || p->in_c < 1 || p->filter_row != p->in_c * p->tiles ||
        p->stride_h < 1 || p->stride_w < 1 || p->dilation_h < 1 || p->dilation_w < 1 || p->per_channel < 0 ||
        p->per_channel > 1;
}

/* `rows` rows of `bytes` bytes, `src_row` bytes apart in src, `dst_row` in dst. */
static void copy_rows(uint8_t *restrict dst,
                      int32_t dst_row,
                      const uint8_t *restrict src,
                      int32_t src_row,
                      int32_t rows,
                      int32_t bytes)
{
    /* short fixed sizes (a few channels a pixel) become plain loads and stores */
#define TINYIR_COPY_ROWS(n)                                                        \
    for (int32_t r = 0; r < rows; r++)                                             \
    {                                                                              \
        memcpy(dst + (size_t)r * (size_t)dst_row, src + (size_t)r * (size_t)src_row, (n)); \
    }
    switch (bytes)
    {
    case 1:
        TINYIR_COPY_ROWS(1)
        break;
    case 2:
        TINYIR_COPY_ROWS(2)
        break;
    case 4:
        TINYIR_COPY_ROWS(4)
        break;
    case 8:
        TINYIR_COPY_ROWS(8)
        break;
    case 16:
        TINYIR_COPY_ROWS(16)
        break;
    default:
        TINYIR_COPY_ROWS((size_t)bytes)
        break;
    }
#undef TINYIR_COPY_ROWS
}

int32_t tinyir_extract_tile(const void *whole, void *part, int32_t rows, int32_t row_bytes, int32_t tiles, int32_t tile)
{
    if (rows < 0 || row_bytes < 1 || tile < 0 || tile >= tiles)
    {
        return 1;
    }
    const uint8_t *from = (const uint8_t *)whole + (size_t)tile * (size_t)row_bytes;
    copy_rows((uint8_t *)part, row_bytes, from, row_bytes * tiles, rows, row_bytes);
    return 0;
}

int32_t tinyir_insert_tile(const void *part, void *whole, int32_t rows, int32_t row_bytes, int32_t tiles, int32_t tile)
{
    if (rows < 0 || row_bytes < 1 || tile < 0 || tile >= tiles)
    {
        return 1;
    }
    uint8_t *to = (uint8_t *)whole + (size_t)tile * (size_t)row_bytes;
    copy_rows(to, row_bytes * tiles, (const uint8_t *)part, row_bytes, rows, row_bytes);
    return 0;
}

/* sum a[i] * b[i], i < n */
static inline int32_t dot_1x1(const int8_t *restrict a, const int8_t *restrict b, int32_t n)
{
    int32_t s = 0, i = 0;
#if defined(TINYIR_TILES_SIMD32)
    for (; i + 4 <= n; i += 4)
    {
        const int32_t a4 = load_s8x4(a + i), b4 = load_s8x4(b + i);
        s = __smlad(even_s16x2(a4), even_s16x2(b4), __smlad(odd_s16x2(a4), odd_s16x2(b4), s));
    }
#endif
    for (; i < n; i++)
    {
        s += a[i] * b[i];
    }
    return s;
}

/* s[2 j + k] += sum x_j[i] * w_k[i], i < n: two pixels by two output
 * channels, four int32 sums that share every load. */
static inline void dot_2x2(const int8_t *restrict x0,
                           const int8_t *restrict x1,
                           const int8_t *restrict w0,
                           const int8_t *restrict w1,
                           int32_t n,
                           int32_t *restrict s)
{
    int32_t s00 = s[0], s01 = s[1], s10 = s[2], s11 = s[3];
    int32_t i = 0;
#if defined(TINYIR_TILES_SIMD32)
    for (; i + 4 <= n; i += 4)
    {
        /* channels i, i+2 and i+1, i+3 of each pixel as int16 pairs */
        const int32_t a0 = load_s8x4(x0 + i), a1 = load_s8x4(x1 + i);
        const int16x2_t a0e = even_s16x2(a0), a0o = odd_s16x2(a0);
        const int16x2_t a1e = even_s16x2(a1), a1o = odd_s16x2(a1);
        const int32_t b0 = load_s8x4(w0 + i);
        const int16x2_t b0e = even_s16x2(b0), b0o = odd_s16x2(b0);
        s00 = __smlad(a0e, b0e, __smlad(a0o, b0o, s00));
        s10 = __smlad(a1e, b0e, __smlad(a1o, b0o, s10));
        const int32_t b1 = load_s8x4(w1 + i);
        const int16x2_t b1e = even_s16x2(b1), b1o = odd_s16x2(b1);
        s01 = __smlad(a0e, b1e, __smlad(a0o, b1o, s01));
        s11 = __smlad(a1e, b1e, __smlad(a1o, b1o, s11));
    }
#endif
    for (; i < n; i++)
    {
        const int32_t a0 = x0[i], a1 = x1[i], b0 = w0[i], b1 = w1[i];
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
    }
    s[0] = s00;
    s[1] = s01;
    s[2] = s10;
    s[3] = s11;
}

/* filter_offset x the sum of a pixel's inputs (0 without a filter offset). */
static inline int32_t offset_sum(const int8_t *x, int32_t n, int32_t filter_offset)
{
    int32_t s = 0;
    if (filter_offset != 0)
    {
        for (int32_t i = 0; i < n; i++)
        {
            s += x[i];
        }
    }
    return s * filter_offset;
}

/* One strip of `pixels` input pixels `step` elements apart (the tile's
 * channels of each contiguous) and their outputs, contiguous from `index`:
 * pairs of pixels by pairs of output channels (dot_2x2), then what is left. */
static void pointwise_strip(const tinyir_input_tile_params *p,
                            int32_t mode,
                            const int8_t *x,
                            int32_t step,
                            int32_t pixels,
                            int32_t index,
                            const int8_t *filter,
                            const int32_t *constants,
                            const int32_t *multiplier,
                            const int32_t *shift,
                            int32_t *acc,
                            int8_t *output)
{
    const int32_t c = p->in_c, out_c = p->out_c, row = p->filter_row, fo = p->filter_offset;
    const int32_t qs = p->per_channel;
    int32_t px = 0;
    for (; px + 2 <= pixels; px += 2)
    {
        const int8_t *x0 = x + (size_t)px * (size_t)step;
        const int8_t *x1 = x0 + step;
        const int32_t xs0 = offset_sum(x0, c, fo), xs1 = offset_sum(x1, c, fo);
        const int32_t i0 = index + px * out_c, i1 = i0 + out_c;
        int32_t o = 0;
        for (; o + 2 <= out_c; o += 2)
        {
            const int8_t *w0 = filter + (size_t)o * (size_t)row;
            int32_t s[4] = {xs0, xs0, xs1, xs1};
            dot_2x2(x0, x1, w0, w0 + row, c, s);
            finish(mode, i0 + o, o, s[0], constants, acc, output, multiplier, shift, qs, p);
            finish(mode, i0 + o + 1, o + 1, s[1], constants, acc, output, multiplier, shift, qs, p);
            finish(mode, i1 + o, o, s[2], constants, acc, output, multiplier, shift, qs, p);
            finish(mode, i1 + o + 1, o + 1, s[3], constants, acc, output, multiplier, shift, qs, p);
        }
        if (o < out_c)
        {
            const int8_t *w0 = filter + (size_t)o * (size_t)row;
            finish(mode, i0 + o, o, xs0 + dot_1x1(x0, w0, c), constants, acc, output, multiplier, shift, qs, p);
            finish(mode, i1 + o, o, xs1 + dot_1x1(x1, w0, c), constants, acc, output, multiplier, shift, qs, p);
        }
    }
    if (px < pixels)
    {
        const int8_t *x0 = x + (size_t)px * (size_t)step;
        const int32_t xs0 = offset_sum(x0, c, fo);
        const int32_t i0 = index + px * out_c;
        for (int32_t o = 0; o < out_c; o++)
        {
            const int8_t *w0 = filter + (size_t)o * (size_t)row;
            finish(mode, i0 + o, o, xs0 + dot_1x1(x0, w0, c), constants, acc, output, multiplier, shift, qs, p);
        }
    }
}

/* The strips of a pointwise input tile. */
static void pointwise_tile(const tinyir_input_tile_params *p,
                           int32_t mode,
                           const int8_t *input,
                           const int8_t *filter,
                           const int32_t *constants,
                           const int32_t *multiplier,
                           const int32_t *shift,
                           int32_t *acc,
                           int8_t *output)
{
    const int32_t c = p->in_c;
    if (p->stride_h == 1 && p->stride_w == 1 && p->out_h == p->in_h && p->out_w == p->in_w)
    {
        /* every input pixel, in order: one strip */
        const int32_t pixels = p->batches * p->out_h * p->out_w;
        pointwise_strip(p, mode, input, c, pixels, 0, filter, constants, multiplier, shift, acc, output);
        return;
    }
    for (int32_t n = 0; n < p->batches; n++)
    {
        for (int32_t oy = 0; oy < p->out_h; oy++)
        {
            const int8_t *x = input + ((size_t)(n * p->in_h + oy * p->stride_h) * (size_t)p->in_w) * (size_t)c;
            const int32_t index = (n * p->out_h + oy) * p->out_w * p->out_c;
            pointwise_strip(
                p, mode, x, p->stride_w * c, p->out_w, index, filter, constants, multiplier, shift, acc, output);
        }
    }
}

int32_t tinyir_pointwise_input_tile_s8(const tinyir_input_tile_params *p,
                                       int32_t tile,
                                       const int8_t *input,
                                       const int8_t *filter,
                                       const int32_t *constants,
                                       const int32_t *multiplier,
                                       const int32_t *shift,
                                       int32_t *acc,
                                       int8_t *output)
{
    if (bad_params(p, tile) || p->kernel_h != 1 || p->kernel_w != 1 || p->pad_top != 0 || p->pad_left != 0 ||
        (p->out_h - 1) * p->stride_h >= p->in_h || (p->out_w - 1) * p->stride_w >= p->in_w)
    {
        return 1;
    }
    pointwise_tile(p, tile_mode(p, tile), input, filter, constants, multiplier, shift, acc, output);
    return 0;
}

int32_t tinyir_conv_input_tile_s8(const tinyir_input_tile_params *p,
                                  int32_t tile,
                                  const int8_t *input,
                                  const int8_t *filter,
                                  const int32_t *bias,
                                  const int32_t *multiplier,
                                  const int32_t *shift,
                                  int32_t *acc,
                                  int8_t *output)
{
    if (bad_params(p, tile) || p->filter_offset != 0)
    {
        return 1;
    }
    const int32_t mode = tile_mode(p, tile);
    const int32_t c = p->in_c, out_c = p->out_c, row = p->filter_row, off = p->input_offset;
    const int32_t taps = p->kernel_h * p->kernel_w;
    for (int32_t n = 0; n < p->batches; n++)
    {
        for (int32_t oy = 0; oy < p->out_h; oy++)
        {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (int32_t ox = 0; ox < p->out_w; ox++)
            {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t index = ((n * p->out_h + oy) * p->out_w + ox) * out_c;
                int32_t *restrict sums = acc + index;
                for (int32_t o = 0; o < out_c; o++)
                {
                    sums[o] = (mode & TILE_FIRST) ? (bias != NULL ? bias[o] : 0) : sums[o];
                }
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
                        const size_t pixel = (size_t)(n * p->in_h + iy) * (size_t)p->in_w + (size_t)ix;
                        const int8_t *restrict xp = input + pixel * (size_t)c;
                        const int8_t *restrict wp = filter + (size_t)(ky * p->kernel_w + kx) * (size_t)row;
                        for (int32_t o = 0; o < out_c; o++)
                        {
                            const int8_t *restrict w = wp + (size_t)o * (size_t)taps * (size_t)row;
                            int32_t s = 0;
                            for (int32_t i = 0; i < c; i++)
                            {
                                s += (xp[i] + off) * w[i];
                            }
                            sums[o] += s;
                        }
                    }
                }
                if (mode & TILE_LAST)
                {
                    for (int32_t o = 0; o < out_c; o++)
                    {
                        const int32_t q = o * p->per_channel;
                        output[index + o] = output_s8(sums[o], multiplier[q], shift[q], p);
                    }
                }
            }
        }
    }
    return 0;
}
