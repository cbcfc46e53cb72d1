/* tinyir's portable float32 kernels; see tinyir_kernels.h. Bit-exact with
 * tinyir.numerics.kernels.floating: each output element is summed in float32
 * in the executor's order (built without FMA contraction: -ffp-contract=off). */
#include "tinyir_kernels.h"
#include "tinyir_index.h"

#include <math.h>
#include <string.h>

static float clamp_f32(float x, float lo, float hi)
{
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
}

/* exp in double rounded to float: the same result on every libm (see tinyir_kernels.h) */
static float exp_f32(float x)
{
    return (float)exp((double)x);
}

/* Calls body(ky, kx, iy, ix) for each tap of output (oy, ox)'s window that lies in the image. */
#define TINYIR_WINDOW_TAPS(p, oy, ox, body)                                                                            \
    for (int32_t ky = 0; ky < (p)->kernel_h; ky++)                                                                     \
    {                                                                                                                  \
        const int32_t iy = (oy) * (p)->stride_h - (p)->pad_top + ky * (p)->dilation_h;                                 \
        if (iy < 0 || iy >= (p)->in_h)                                                                                 \
        {                                                                                                              \
            continue;                                                                                                  \
        }                                                                                                              \
        for (int32_t kx = 0; kx < (p)->kernel_w; kx++)                                                                 \
        {                                                                                                              \
            const int32_t ix = (ox) * (p)->stride_w - (p)->pad_left + kx * (p)->dilation_w;                            \
            if (ix < 0 || ix >= (p)->in_w)                                                                             \
            {                                                                                                          \
                continue;                                                                                              \
            }                                                                                                          \
            body(ky, kx, iy, ix);                                                                                      \
        }                                                                                                              \
    }

int32_t tinyir_conv_f32(const tinyir_window_f32 *p,
                        const float *input,
                        const float *filter,
                        int32_t filter_depth,
                        const float *bias,
                        float *output)
{
    if (filter_depth < 1 || p->in_c % filter_depth != 0 || p->out_c % (p->in_c / filter_depth) != 0)
    {
        return 1;
    }
    const int32_t per_group = p->out_c / (p->in_c / filter_depth);
    for (int32_t b = 0; b < p->batches; b++)
    {
        for (int32_t oy = 0; oy < p->out_h; oy++)
        {
            for (int32_t ox = 0; ox < p->out_w; ox++)
            {
                for (int32_t co = 0; co < p->out_c; co++)
                {
                    const int32_t first = co / per_group * filter_depth;
                    float acc = 0.0f;
#define TINYIR_CONV_TAP(ky, kx, iy, ix)                                                                                \
    {                                                                                                                  \
        const float *x = input + (((size_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c + first;                       \
        const float *w = filter + (((size_t)co * p->kernel_h + ky) * p->kernel_w + kx) * filter_depth;                \
        for (int32_t ci = 0; ci < filter_depth; ci++)                                                                  \
        {                                                                                                              \
            acc += x[ci] * w[ci];                                                                                      \
        }                                                                                                              \
    }
                    TINYIR_WINDOW_TAPS(p, oy, ox, TINYIR_CONV_TAP)
#undef TINYIR_CONV_TAP
                    if (bias != NULL)
                    {
                        acc += bias[co];
                    }
                    *output++ = clamp_f32(acc, p->activation_min, p->activation_max);
                }
            }
        }
    }
    return 0;
}

int32_t tinyir_depthwise_conv_f32(
    const tinyir_window_f32 *p, const float *input, const float *filter, const float *bias, float *output)
{
    if (p->in_c < 1 || p->out_c % p->in_c != 0)
    {
        return 1;
    }
    const int32_t multiplier = p->out_c / p->in_c;
    for (int32_t b = 0; b < p->batches; b++)
    {
        for (int32_t oy = 0; oy < p->out_h; oy++)
        {
            for (int32_t ox = 0; ox < p->out_w; ox++)
            {
                for (int32_t co = 0; co < p->out_c; co++)
                {
                    float acc = 0.0f;
#define TINYIR_DEPTHWISE_TAP(ky, kx, iy, ix)                                                                           \
    acc += input[(((size_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c + co / multiplier] *                           \
           filter[((size_t)ky * p->kernel_w + kx) * p->out_c + co];
                    TINYIR_WINDOW_TAPS(p, oy, ox, TINYIR_DEPTHWISE_TAP)
#undef TINYIR_DEPTHWISE_TAP
                    if (bias != NULL)
                    {
                        acc += bias[co];
                    }
                    *output++ = clamp_f32(acc, p->activation_min, p->activation_max);
                }
            }
        }
    }
    return 0;
}

int32_t tinyir_fully_connected_f32(const float *input,
                                   const float *filter,
                                   const float *bias,
                                   float *output,
                                   int32_t rows,
                                   int32_t depth,
                                   int32_t units,
                                   float activation_min,
                                   float activation_max)
{
    for (int32_t r = 0; r < rows; r++)
    {
        const float *x = input + (size_t)r * depth;
        for (int32_t u = 0; u < units; u++)
        {
            const float *w = filter + (size_t)u * depth;
            float acc = 0.0f;
            for (int32_t k = 0; k < depth; k++)
            {
                acc += x[k] * w[k];
            }
            if (bias != NULL)
            {
                acc += bias[u];
            }
            *output++ = clamp_f32(acc, activation_min, activation_max);
        }
    }
    return 0;
}

int32_t tinyir_avg_pool_f32(const tinyir_window_f32 *p, const float *input, float *output)
{
    for (int32_t b = 0; b < p->batches; b++)
    {
        for (int32_t oy = 0; oy < p->out_h; oy++)
        {
            for (int32_t ox = 0; ox < p->out_w; ox++)
            {
                for (int32_t c = 0; c < p->in_c; c++)
                {
                    float total = 0.0f;
                    int32_t count = 0;
#define TINYIR_AVG_TAP(ky, kx, iy, ix)                                                                                 \
    {                                                                                                                  \
        (void)ky;                                                                                                      \
        (void)kx;                                                                                                      \
        total += input[(((size_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c + c];                                     \
        count++;                                                                                                       \
    }
                    TINYIR_WINDOW_TAPS(p, oy, ox, TINYIR_AVG_TAP)
#undef TINYIR_AVG_TAP
                    if (count == 0)
                    {
                        return 1; /* a window entirely in the padding */
                    }
                    *output++ = clamp_f32(total / (float)count, p->activation_min, p->activation_max);
                }
            }
        }
    }
    return 0;
}

int32_t tinyir_max_pool_f32(const tinyir_window_f32 *p, const float *input, float *output)
{
    for (int32_t b = 0; b < p->batches; b++)
    {
        for (int32_t oy = 0; oy < p->out_h; oy++)
        {
            for (int32_t ox = 0; ox < p->out_w; ox++)
            {
                for (int32_t c = 0; c < p->in_c; c++)
                {
                    float largest = -INFINITY;
#define TINYIR_MAX_TAP(ky, kx, iy, ix)                                                                                 \
    {                                                                                                                  \
        (void)ky;                                                                                                      \
        (void)kx;                                                                                                      \
        const float x = input[(((size_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c + c];                             \
        largest = x > largest ? x : largest;                                                                           \
    }
                    TINYIR_WINDOW_TAPS(p, oy, ox, TINYIR_MAX_TAP)
#undef TINYIR_MAX_TAP
                    *output++ = clamp_f32(largest, p->activation_min, p->activation_max);
                }
            }
        }
    }
    return 0;
}

int32_t tinyir_add_broadcast_f32(const float *input_1,
                                 const float *input_2,
                                 float *output,
                                 const tinyir_broadcast *shape,
                                 float activation_min,
                                 float activation_max)
{
#define TINYIR_ADD_F32_ONE(i1, i2, o) output[o] = clamp_f32(input_1[i1] + input_2[i2], activation_min, activation_max);
    TINYIR_BROADCAST_LOOP(shape, TINYIR_ADD_F32_ONE);
#undef TINYIR_ADD_F32_ONE
    return 0;
}

int32_t tinyir_mul_broadcast_f32(const float *input_1,
                                 const float *input_2,
                                 float *output,
                                 const tinyir_broadcast *shape,
                                 float activation_min,
                                 float activation_max)
{
#define TINYIR_MUL_F32_ONE(i1, i2, o) output[o] = clamp_f32(input_1[i1] * input_2[i2], activation_min, activation_max);
    TINYIR_BROADCAST_LOOP(shape, TINYIR_MUL_F32_ONE);
#undef TINYIR_MUL_F32_ONE
    return 0;
}

int32_t tinyir_mean_f32(
    const float *input, float *output, int32_t rank, const int32_t *input_shape, const uint8_t *reduce, int32_t count)
{
    if (rank < 1 || rank > TINYIR_MAX_RANK || count < 1)
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
        float total = 0.0f;
        do
        {
            const int32_t offset = offset_of(index, stride, rank);
            total += input[offset];
        } while (next_index(index, input_shape, rank, reduce, 1));
        *output++ = total / (float)count;
    } while (next_index(index, input_shape, rank, reduce, 0));
    return 0;
}

int32_t tinyir_softmax_f32(const float *input, float *output, int32_t rows, int32_t depth, float beta)
{
    for (int32_t r = 0; r < rows; r++)
    {
        const float *x = input + (size_t)r * depth;
        float *y = output + (size_t)r * depth;
        float largest = -INFINITY;
        for (int32_t c = 0; c < depth; c++)
        {
            largest = x[c] > largest ? x[c] : largest;
        }
        float total = 0.0f;
        for (int32_t c = 0; c < depth; c++)
        {
            y[c] = exp_f32((x[c] - largest) * beta);
            total += y[c];
        }
        for (int32_t c = 0; c < depth; c++)
        {
            y[c] = y[c] / total;
        }
    }
    return 0;
}

int32_t tinyir_logistic_f32(const float *input, float *output, int32_t size)
{
    for (int32_t i = 0; i < size; i++)
    {
        const float x = input[i];
        output[i] = x > 16.619047164916992188f ? 1.0f : (x < -9.0f ? exp_f32(x) : 1.0f / (1.0f + exp_f32(-x)));
    }
    return 0;
}

int32_t tinyir_hard_swish_f32(const float *input, float *output, int32_t size)
{
    for (int32_t i = 0; i < size; i++)
    {
        const float x = input[i];
        const float relu6 = clamp_f32(x + 3.0f, 0.0f, 6.0f);
        output[i] = x * relu6 / 6.0f;
    }
    return 0;
}

int32_t tinyir_clamp_f32(const float *input, float *output, int32_t size, float activation_min, float activation_max)
{
    for (int32_t i = 0; i < size; i++)
    {
        output[i] = clamp_f32(input[i], activation_min, activation_max);
    }
    return 0;
}

int32_t tinyir_pad_f32(const float *input,
                       float *output,
                       int32_t rank,
                       const int32_t *input_shape,
                       const int32_t *output_shape,
                       const int32_t *before,
                       float value)
{
    if (rank < 1 || rank > TINYIR_MAX_RANK)
    {
        return 1;
    }
    int32_t out_stride[TINYIR_MAX_RANK];
    row_major_strides(out_stride, output_shape, rank);
    for (int32_t i = 0; i < out_stride[0] * output_shape[0]; i++)
    {
        output[i] = value;
    }
    for (int32_t d = 0; d < rank; d++)
    {
        if (input_shape[d] <= 0)
        {
            return 0;
        }
    }
    const int32_t row = input_shape[rank - 1];
    int32_t index[TINYIR_MAX_RANK] = {0};
    do
    {
        int32_t offset = before[rank - 1];
        for (int32_t d = 0; d < rank - 1; d++)
        {
            offset += (index[d] + before[d]) * out_stride[d];
        }
        memcpy(output + offset, input, (size_t)row * sizeof(float));
        input += row;
    } while (rank > 1 && next_index(index, input_shape, rank - 1, NULL, 1));
    return 0;
}
