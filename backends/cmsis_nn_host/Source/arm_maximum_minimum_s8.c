/*
 * tinyir host runtime with the CMSIS-NN API: int8 elementwise MINIMUM and
 * MAXIMUM of the raw values with broadcasting over {n, h, w, c}, as TFLite's
 * reference/maximum_minimum.h (no rescaling: inputs and output share one
 * quantization).
 */
#include "tinyir_nn_support.h"

/* The element of `dims` at output index (n, h, w, c): 0 along a broadcast dimension of size 1. */
static int32_t broadcast_offset(const cmsis_nn_dims *dims, int32_t n, int32_t h, int32_t w, int32_t c)
{
    n = dims->n == 1 ? 0 : n;
    h = dims->h == 1 ? 0 : h;
    w = dims->w == 1 ? 0 : w;
    c = dims->c == 1 ? 0 : c;
    return ((n * dims->h + h) * dims->w + w) * dims->c + c;
}

static arm_cmsis_nn_status min_max_s8(const int8_t *input_1,
                                      const cmsis_nn_dims *input_1_dims,
                                      const int8_t *input_2,
                                      const cmsis_nn_dims *input_2_dims,
                                      int8_t *output,
                                      const cmsis_nn_dims *output_dims,
                                      int maximum)
{
    for (int32_t n = 0; n < output_dims->n; n++)
    {
        for (int32_t h = 0; h < output_dims->h; h++)
        {
            for (int32_t w = 0; w < output_dims->w; w++)
            {
                for (int32_t c = 0; c < output_dims->c; c++)
                {
                    const int8_t a = input_1[broadcast_offset(input_1_dims, n, h, w, c)];
                    const int8_t b = input_2[broadcast_offset(input_2_dims, n, h, w, c)];
                    *output++ = (maximum ? a >= b : a <= b) ? a : b;
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_minimum_s8(const cmsis_nn_context *ctx,
                                   const int8_t *input_1_data,
                                   const cmsis_nn_dims *input_1_dims,
                                   const int8_t *input_2_data,
                                   const cmsis_nn_dims *input_2_dims,
                                   int8_t *output_data,
                                   const cmsis_nn_dims *output_dims)
{
    (void)ctx;
    return min_max_s8(input_1_data, input_1_dims, input_2_data, input_2_dims, output_data, output_dims, 0);
}

arm_cmsis_nn_status arm_maximum_s8(const cmsis_nn_context *ctx,
                                   const int8_t *input_1_data,
                                   const cmsis_nn_dims *input_1_dims,
                                   const int8_t *input_2_data,
                                   const cmsis_nn_dims *input_2_dims,
                                   int8_t *output_data,
                                   const cmsis_nn_dims *output_dims)
{
    (void)ctx;
    return min_max_s8(input_1_data, input_1_dims, input_2_data, input_2_dims, output_data, output_dims, 1);
}
