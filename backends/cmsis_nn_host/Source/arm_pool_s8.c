/*
 * tinyir host runtime with the CMSIS-NN API: int8 average and max pooling,
 * bit-exact with TFLite's reference/integer_ops/pooling.h (windows cover the
 * in-image taps only; the average rounds halves away from zero).
 */
#include "tinyir_nn_support.h"

int32_t arm_avgpool_s8_get_buffer_size(const int dim_dst_width, const int ch_src)
{
    (void)dim_dst_width;
    (void)ch_src;
    return 0; /* one int32 per channel on DSP builds only */
}

/* The in-image part [start, end) of a window of size k at position base. */
static void tinyir_window(int32_t base, int32_t k, int32_t size, int32_t *start, int32_t *end)
{
    *start = TINYIR_MAX(0, -base);
    *end = TINYIR_MIN(k, size - base);
}

/* Average (`average` != 0) or max pooling: one walk over the windows for both. */
static arm_cmsis_nn_status tinyir_pool_s8(int average,
                                          const cmsis_nn_pool_params *pool_params,
                                          const cmsis_nn_dims *input_dims,
                                          const int8_t *input_data,
                                          const cmsis_nn_dims *filter_dims,
                                          const cmsis_nn_dims *output_dims,
                                          int8_t *output_data)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, ch = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    if (input_dims->n < 1)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    for (int32_t b = 0; b < input_dims->n; b++)
    {
        const int8_t *in = input_data + (size_t)b * in_h * in_w * ch;
        for (int32_t oy = 0; oy < out_h; oy++)
        {
            const int32_t by = oy * pool_params->stride.h - pool_params->padding.h;
            int32_t ky0, ky1;
            tinyir_window(by, filter_dims->h, in_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < out_w; ox++)
            {
                const int32_t bx = ox * pool_params->stride.w - pool_params->padding.w;
                int32_t kx0, kx1;
                tinyir_window(bx, filter_dims->w, in_w, &kx0, &kx1);
                const int32_t count = (ky1 - ky0) * (kx1 - kx0);
                if (average && (ky1 <= ky0 || kx1 <= kx0))
                {
                    return ARM_CMSIS_NN_ARG_ERROR; /* a window entirely in the padding */
                }
                int8_t *out = output_data + (((size_t)b * out_h + oy) * out_w + ox) * ch;
                for (int32_t c = 0; c < ch; c++)
                {
                    int32_t acc = average ? 0 : NN_Q7_MIN; /* the sum, or the max */
                    for (int32_t ky = ky0; ky < ky1; ky++)
                    {
                        for (int32_t kx = kx0; kx < kx1; kx++)
                        {
                            const int32_t v = in[((size_t)(by + ky) * in_w + (bx + kx)) * ch + c];
                            acc = average ? acc + v : TINYIR_MAX(acc, v);
                        }
                    }
                    if (average)
                    {
                        /* C division truncates: round half away from zero by hand. */
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    out[c] = tinyir_clamp_s8(acc, pool_params->activation.min, pool_params->activation.max);
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_avgpool_s8(const cmsis_nn_context *ctx,
                                   const cmsis_nn_pool_params *pool_params,
                                   const cmsis_nn_dims *input_dims,
                                   const int8_t *input_data,
                                   const cmsis_nn_dims *filter_dims,
                                   const cmsis_nn_dims *output_dims,
                                   int8_t *output_data)
{
    (void)ctx;
    return tinyir_pool_s8(1, pool_params, input_dims, input_data, filter_dims, output_dims, output_data);
}

arm_cmsis_nn_status arm_max_pool_s8(const cmsis_nn_context *ctx,
                                    const cmsis_nn_pool_params *pool_params,
                                    const cmsis_nn_dims *input_dims,
                                    const int8_t *input_data,
                                    const cmsis_nn_dims *filter_dims,
                                    const cmsis_nn_dims *output_dims,
                                    int8_t *output_data)
{
    (void)ctx;
    return tinyir_pool_s8(0, pool_params, input_dims, input_data, filter_dims, output_dims, output_data);
}
