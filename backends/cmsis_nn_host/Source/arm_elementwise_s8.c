/*
 * tinyir host runtime with the CMSIS-NN API: int8 elementwise ADD and MUL of
 * two same-shaped vectors (no broadcasting), bit-exact with TFLite's
 * reference/integer_ops/add.h (AddFunc) and mul.h (MulElementwise).
 */
#include "tinyir_nn_support.h"

arm_cmsis_nn_status arm_elementwise_add_s8(const int8_t *input_1_vect,
                                           const int8_t *input_2_vect,
                                           const int32_t input_1_offset,
                                           const int32_t input_1_mult,
                                           const int32_t input_1_shift,
                                           const int32_t input_2_offset,
                                           const int32_t input_2_mult,
                                           const int32_t input_2_shift,
                                           const int32_t left_shift,
                                           int8_t *output,
                                           const int32_t out_offset,
                                           const int32_t out_mult,
                                           const int32_t out_shift,
                                           const int32_t out_activation_min,
                                           const int32_t out_activation_max,
                                           const int32_t block_size)
{
    for (int32_t i = 0; i < block_size; i++)
    {
        const int32_t a = tinyir_wrap32(((int64_t)input_1_vect[i] + input_1_offset) * ((int64_t)1 << left_shift));
        const int32_t b = tinyir_wrap32(((int64_t)input_2_vect[i] + input_2_offset) * ((int64_t)1 << left_shift));
        const int32_t sa = tinyir_requantize(a, input_1_mult, input_1_shift);
        const int32_t sb = tinyir_requantize(b, input_2_mult, input_2_shift);
        const int32_t sum = tinyir_wrap32((int64_t)sa + sb);
        output[i] = tinyir_output_s8(sum, out_mult, out_shift, out_offset, out_activation_min, out_activation_max);
    }
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_elementwise_mul_s8(const int8_t *input_1_vect,
                                           const int8_t *input_2_vect,
                                           const int32_t input_1_offset,
                                           const int32_t input_2_offset,
                                           int8_t *output,
                                           const int32_t out_offset,
                                           const int32_t out_mult,
                                           const int32_t out_shift,
                                           const int32_t out_activation_min,
                                           const int32_t out_activation_max,
                                           const int32_t block_size)
{
    for (int32_t i = 0; i < block_size; i++)
    {
        const int32_t prod = ((int32_t)input_1_vect[i] + input_1_offset) * ((int32_t)input_2_vect[i] + input_2_offset);
        output[i] = tinyir_output_s8(prod, out_mult, out_shift, out_offset, out_activation_min, out_activation_max);
    }
    return ARM_CMSIS_NN_SUCCESS;
}
