/*
 * tinyir host runtime with the CMSIS-NN API: int8 TRANSPOSE of up to 4
 * dimensions. The dimensions are packed from the front of cmsis_nn_dims
 * (rank 2: n, h; rank 3: n, h, w; rank 4: n, h, w, c), as CMSIS-NN reads
 * them; output dimension i is input dimension permutations[i].
 */
#include "tinyir_nn_support.h"

arm_cmsis_nn_status arm_transpose_s8(const int8_t *input_data,
                                     int8_t *const output_data,
                                     const cmsis_nn_dims *const input_dims,
                                     const cmsis_nn_dims *const output_dims,
                                     const cmsis_nn_transpose_params *const transpose_params)
{
    const int32_t rank = transpose_params->num_dims;
    if (rank < 1 || rank > 4)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const int32_t in_all[4] = {input_dims->n, input_dims->h, input_dims->w, input_dims->c};
    const int32_t out_all[4] = {output_dims->n, output_dims->h, output_dims->w, output_dims->c};
    int32_t in_shape[4] = {1, 1, 1, 1};
    int32_t out_shape[4] = {1, 1, 1, 1};
    int64_t in_stride[4] = {0, 0, 0, 0};
    int64_t stride_of_out_dim[4] = {0, 0, 0, 0}; /* input stride walked by each output dimension */
    int32_t used = 0;

    for (int32_t i = 0; i < rank; i++)
    {
        const uint32_t p = transpose_params->permutations[i];
        if (p >= (uint32_t)rank || (used & (1 << p)))
        {
            return ARM_CMSIS_NN_ARG_ERROR;
        }
        used |= 1 << p;
        in_shape[i] = in_all[i];
    }
    for (int32_t i = 0; i < rank; i++)
    {
        out_shape[i] = out_all[i];
        if (out_shape[i] != in_shape[transpose_params->permutations[i]])
        {
            return ARM_CMSIS_NN_ARG_ERROR;
        }
    }
    in_stride[rank - 1] = 1;
    for (int32_t i = rank - 2; i >= 0; i--)
    {
        in_stride[i] = in_stride[i + 1] * in_shape[i + 1];
    }
    for (int32_t i = 0; i < rank; i++)
    {
        stride_of_out_dim[i] = in_stride[transpose_params->permutations[i]];
    }

    int8_t *out = output_data;
    for (int32_t i0 = 0; i0 < out_shape[0]; i0++)
    {
        for (int32_t i1 = 0; i1 < out_shape[1]; i1++)
        {
            for (int32_t i2 = 0; i2 < out_shape[2]; i2++)
            {
                const int64_t base = i0 * stride_of_out_dim[0] + i1 * stride_of_out_dim[1] + i2 * stride_of_out_dim[2];
                for (int32_t i3 = 0; i3 < out_shape[3]; i3++)
                {
                    *out++ = input_data[base + i3 * stride_of_out_dim[3]];
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
