/*
 * tinyir host runtime with the CMSIS-NN API: int8 convolution and depthwise
 * convolution, bit-exact with TFLite's reference/integer_ops/conv.h and
 * depthwise_conv.h (direct loops; no scratch needed).
 */
#include "tinyir_nn_support.h"

/* CMSIS-NN's wrapper runs a 1x1 kernel when this holds (and no buffer is
 * needed then in its pure C build). */
static int tinyir_is_1x1(const cmsis_nn_conv_params *p, const cmsis_nn_dims *in, const cmsis_nn_dims *f)
{
    return p->padding.w == 0 && p->padding.h == 0 && f->w == 1 && f->h == 1 && p->dilation.w == 1 &&
        p->dilation.h == 1 && in->c == f->c;
}

/* The sum of (x + input_offset) * w over the in-image taps of a window at
 * (y0, x0) and `n` channels from `ic0` of a batch's NHWC image `in`; the
 * filter's taps are `tap_stride` elements apart from `filter` (a conv filter
 * row: k_c; depthwise: out_c, one channel). Convolution and depthwise alike. */
static int32_t tinyir_window_dot(const int8_t *in, int32_t in_h, int32_t in_w, int32_t in_c, int32_t ic0,
                                 int32_t y0, int32_t x0, int32_t k_h, int32_t k_w, const cmsis_nn_tile *dilation,
                                 const int8_t *filter, int32_t tap_stride, int32_t n, int32_t input_offset)
{
    int32_t acc = 0;
    for (int32_t ky = 0; ky < k_h; ky++)
    {
        const int32_t iy = y0 + ky * dilation->h;
        if (iy < 0 || iy >= in_h)
        {
            continue;
        }
        for (int32_t kx = 0; kx < k_w; kx++)
        {
            const int32_t ix = x0 + kx * dilation->w;
            if (ix < 0 || ix >= in_w)
            {
                continue;
            }
            const int8_t *px = in + ((size_t)iy * in_w + ix) * in_c + ic0;
            const int8_t *pf = filter + ((size_t)ky * k_w + kx) * tap_stride;
            for (int32_t i = 0; i < n; i++)
            {
                acc += ((int32_t)px[i] + input_offset) * (int32_t)pf[i];
            }
        }
    }
    return acc;
}

int32_t arm_convolve_wrapper_s8_get_buffer_size(const cmsis_nn_conv_params *conv_params,
                                                const cmsis_nn_dims *input_dims,
                                                const cmsis_nn_dims *filter_dims,
                                                const cmsis_nn_dims *output_dims)
{
    (void)output_dims;
    if (tinyir_is_1x1(conv_params, input_dims, filter_dims))
    {
        return 0; /* 1x1 kernels need no buffer in the pure C build */
    }
    /* arm_convolve_s8 and arm_convolve_1_x_n_s8 (pure C build): two int16
     * im2col columns of the filter depth, rounded up to a multiple of 4. */
    const int32_t rhs_cols = filter_dims->w * filter_dims->h * input_dims->c;
    const int32_t aligned = (rhs_cols + 3) / 4 * 4;
    return 2 * aligned * (int32_t)sizeof(int16_t);
}

arm_cmsis_nn_status arm_convolve_wrapper_s8(const cmsis_nn_context *ctx,
                                            const cmsis_nn_conv_params *conv_params,
                                            const cmsis_nn_per_channel_quant_params *quant_params,
                                            const cmsis_nn_dims *input_dims,
                                            const int8_t *input_data,
                                            const cmsis_nn_dims *filter_dims,
                                            const int8_t *filter_data,
                                            const cmsis_nn_dims *bias_dims,
                                            const int32_t *bias_data,
                                            const cmsis_nn_dims *output_dims,
                                            int8_t *output_data)
{
    (void)bias_dims;
    const int32_t batches = input_dims->n;
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_c = output_dims->c, out_h = output_dims->h, out_w = output_dims->w;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w, k_c = filter_dims->c;

    if (k_c <= 0 || in_c % k_c != 0 || filter_dims->n != out_c || batches < 1)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const int32_t groups = in_c / k_c;
    if (out_c % groups != 0)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    if (arm_convolve_wrapper_s8_get_buffer_size(conv_params, input_dims, filter_dims, output_dims) > 0 &&
        (ctx == NULL || ctx->buf == NULL))
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const int32_t out_per_group = out_c / groups;
    const int32_t input_offset = conv_params->input_offset;
    const int32_t act_min = conv_params->activation.min, act_max = conv_params->activation.max;

    for (int32_t b = 0; b < batches; b++)
    {
        const int8_t *in_b = input_data + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; oy++)
        {
            const int32_t y0 = oy * conv_params->stride.h - conv_params->padding.h;
            for (int32_t ox = 0; ox < out_w; ox++)
            {
                const int32_t x0 = ox * conv_params->stride.w - conv_params->padding.w;
                int8_t *out = output_data + (((size_t)b * out_h + oy) * out_w + ox) * out_c;
                for (int32_t oc = 0; oc < out_c; oc++)
                {
                    const int32_t ic0 = (oc / out_per_group) * k_c;
                    const int8_t *f = filter_data + (size_t)oc * k_h * k_w * k_c;
                    const int32_t acc = tinyir_window_dot(in_b, in_h, in_w, in_c, ic0, y0, x0, k_h, k_w,
                                                          &conv_params->dilation, f, k_c, k_c, input_offset);
                    out[oc] = tinyir_channel_output_s8(acc, bias_data, oc, quant_params->multiplier[oc], quant_params->shift[oc],
                                                       conv_params->output_offset, act_min, act_max);
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}

int32_t arm_depthwise_conv_wrapper_s8_get_buffer_size(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                      const cmsis_nn_dims *input_dims,
                                                      const cmsis_nn_dims *filter_dims,
                                                      const cmsis_nn_dims *output_dims)
{
    /* The pure C build of CMSIS-NN needs no buffer for any depthwise kernel. */
    (void)dw_conv_params;
    (void)input_dims;
    (void)filter_dims;
    (void)output_dims;
    return 0;
}

arm_cmsis_nn_status arm_depthwise_conv_wrapper_s8(const cmsis_nn_context *ctx,
                                                  const cmsis_nn_dw_conv_params *dw_conv_params,
                                                  const cmsis_nn_per_channel_quant_params *quant_params,
                                                  const cmsis_nn_dims *input_dims,
                                                  const int8_t *input_data,
                                                  const cmsis_nn_dims *filter_dims,
                                                  const int8_t *filter_data,
                                                  const cmsis_nn_dims *bias_dims,
                                                  const int32_t *bias_data,
                                                  const cmsis_nn_dims *output_dims,
                                                  int8_t *output_data)
{
    (void)ctx;
    (void)bias_dims;
    const int32_t batches = input_dims->n;
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_c = output_dims->c, out_h = output_dims->h, out_w = output_dims->w;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t ch_mult = dw_conv_params->ch_mult;

    if (batches < 1 || ch_mult < 1 || in_c * ch_mult != out_c || filter_dims->c != out_c)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const int32_t input_offset = dw_conv_params->input_offset;
    const int32_t act_min = dw_conv_params->activation.min, act_max = dw_conv_params->activation.max;

    for (int32_t b = 0; b < batches; b++)
    {
        const int8_t *in_b = input_data + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; oy++)
        {
            const int32_t y0 = oy * dw_conv_params->stride.h - dw_conv_params->padding.h;
            for (int32_t ox = 0; ox < out_w; ox++)
            {
                const int32_t x0 = ox * dw_conv_params->stride.w - dw_conv_params->padding.w;
                int8_t *out = output_data + (((size_t)b * out_h + oy) * out_w + ox) * out_c;
                for (int32_t oc = 0; oc < out_c; oc++)
                {
                    /* one input channel; the filter's taps are out_c apart */
                    const int32_t acc = tinyir_window_dot(in_b, in_h, in_w, in_c, oc / ch_mult, y0, x0, k_h, k_w,
                                                          &dw_conv_params->dilation, filter_data + oc, out_c, 1,
                                                          input_offset);
                    out[oc] = tinyir_channel_output_s8(acc, bias_data, oc, quant_params->multiplier[oc], quant_params->shift[oc],
                                                       dw_conv_params->output_offset, act_min, act_max);
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
