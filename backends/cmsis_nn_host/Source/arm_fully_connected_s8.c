/*
 * tinyir host runtime with the CMSIS-NN API: int8 fully connected, bit-exact
 * with TFLite's reference/integer_ops/fully_connected.h. The filter offset is
 * honoured (as CMSIS-NN does); TFLite's per-channel variant assumes symmetric
 * weights, so callers pass filter_offset 0 there.
 */
#include "tinyir_nn_support.h"

static void tinyir_fc_rows(const cmsis_nn_fc_params *fc_params,
                           const int32_t *multiplier,
                           const int32_t *shift,
                           int32_t per_channel,
                           const cmsis_nn_dims *input_dims,
                           const int8_t *input_data,
                           const cmsis_nn_dims *filter_dims,
                           const int8_t *filter_data,
                           const int32_t *bias_data,
                           const cmsis_nn_dims *output_dims,
                           int8_t *output_data)
{
    const int32_t depth = filter_dims->n;
    const int32_t outputs = output_dims->c;
    for (int32_t b = 0; b < input_dims->n; b++)
    {
        const int8_t *in = input_data + (size_t)b * depth;
        int8_t *out = output_data + (size_t)b * outputs;
        for (int32_t o = 0; o < outputs; o++)
        {
            const int8_t *w = filter_data + (size_t)o * depth;
            int32_t acc = 0;
            for (int32_t k = 0; k < depth; k++)
            {
                acc += ((int32_t)in[k] + fc_params->input_offset) * ((int32_t)w[k] + fc_params->filter_offset);
            }
            const int32_t i = per_channel ? o : 0;
            out[o] = tinyir_channel_output_s8(acc, bias_data, o, multiplier[i], shift[i], fc_params->output_offset,
                                              fc_params->activation.min, fc_params->activation.max);
        }
    }
}

int32_t arm_fully_connected_s8_get_buffer_size(const cmsis_nn_dims *filter_dims)
{
    (void)filter_dims;
    return 0; /* kernel sums are kept in the buffer on MVE builds only */
}

arm_cmsis_nn_status arm_fully_connected_s8(const cmsis_nn_context *ctx,
                                           const cmsis_nn_fc_params *fc_params,
                                           const cmsis_nn_per_tensor_quant_params *quant_params,
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
    tinyir_fc_rows(fc_params,
                   &quant_params->multiplier,
                   &quant_params->shift,
                   0,
                   input_dims,
                   input_data,
                   filter_dims,
                   filter_data,
                   bias_data,
                   output_dims,
                   output_data);
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_fully_connected_per_channel_s8(const cmsis_nn_context *ctx,
                                                       const cmsis_nn_fc_params *fc_params,
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
    tinyir_fc_rows(fc_params,
                   quant_params->multiplier,
                   quant_params->shift,
                   1,
                   input_dims,
                   input_data,
                   filter_dims,
                   filter_data,
                   bias_data,
                   output_dims,
                   output_data);
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_fully_connected_wrapper_s8(const cmsis_nn_context *ctx,
                                                   const cmsis_nn_fc_params *fc_params,
                                                   const cmsis_nn_quant_params *quant_params,
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
    tinyir_fc_rows(fc_params,
                   quant_params->multiplier,
                   quant_params->shift,
                   quant_params->is_per_channel != 0,
                   input_dims,
                   input_data,
                   filter_dims,
                   filter_data,
                   bias_data,
                   output_dims,
                   output_data);
    return ARM_CMSIS_NN_SUCCESS;
}
