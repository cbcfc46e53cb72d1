/*
 * tinyir host runtime with the CMSIS-NN API: int8 CONCATENATION, one input
 * at a time, along x (innermost), y, z or w (outermost). Byte copies: TFLite
 * requires every int8 input to share the output's quantization.
 */
#include "tinyir_nn_support.h"

void arm_concatenation_s8_x(const int8_t *input,
                            const uint16_t input_x,
                            const uint16_t input_y,
                            const uint16_t input_z,
                            const uint16_t input_w,
                            int8_t *output,
                            const uint16_t output_x,
                            const uint32_t offset_x)
{
    const uint32_t rows = (uint32_t)input_y * input_z * input_w;
    output += offset_x;
    for (uint32_t i = 0; i < rows; i++)
    {
        memcpy(output, input, input_x);
        input += input_x;
        output += output_x;
    }
}

void arm_concatenation_s8_y(const int8_t *input,
                            const uint16_t input_x,
                            const uint16_t input_y,
                            const uint16_t input_z,
                            const uint16_t input_w,
                            int8_t *output,
                            const uint16_t output_y,
                            const uint32_t offset_y)
{
    const uint32_t tiles = (uint32_t)input_z * input_w;
    const size_t tile = (size_t)input_x * input_y;
    output += (size_t)offset_y * input_x;
    for (uint32_t i = 0; i < tiles; i++)
    {
        memcpy(output, input, tile);
        input += tile;
        output += (size_t)input_x * output_y;
    }
}

void arm_concatenation_s8_z(const int8_t *input,
                            const uint16_t input_x,
                            const uint16_t input_y,
                            const uint16_t input_z,
                            const uint16_t input_w,
                            int8_t *output,
                            const uint16_t output_z,
                            const uint32_t offset_z)
{
    const size_t block = (size_t)input_x * input_y * input_z;
    output += (size_t)offset_z * input_x * input_y;
    for (uint32_t i = 0; i < input_w; i++)
    {
        memcpy(output, input, block);
        input += block;
        output += (size_t)input_x * input_y * output_z;
    }
}

void arm_concatenation_s8_w(const int8_t *input,
                            const uint16_t input_x,
                            const uint16_t input_y,
                            const uint16_t input_z,
                            const uint16_t input_w,
                            int8_t *output,
                            const uint32_t offset_w)
{
    const size_t block = (size_t)input_x * input_y * input_z;
    memcpy(output + (size_t)offset_w * block, input, block * input_w);
}
