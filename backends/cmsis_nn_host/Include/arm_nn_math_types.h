/*
 * tinyir host runtime with the CMSIS-NN API: arm_nn_math_types.h
 *
 * Our own portable C99 subset of CMSIS-NN's header of the same name: the
 * fixed-width integer types and the Q7/Q15/Q31 limits. No target intrinsics:
 * this runtime is the pure C reference, so ARM_MATH_DSP / ARM_MATH_MVEI are
 * never defined here.
 */
#ifndef ARM_NN_MATH_TYPES_H
#define ARM_NN_MATH_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NN_Q31_MAX ((int32_t)(0x7FFFFFFFL))
#define NN_Q15_MAX ((int16_t)(0x7FFF))
#define NN_Q7_MAX ((int8_t)(0x7F))
#define NN_Q31_MIN ((int32_t)(0x80000000L))
#define NN_Q15_MIN ((int16_t)(0x8000))
#define NN_Q7_MIN ((int8_t)(0x80))

#ifdef __cplusplus
}
#endif

#endif /* ARM_NN_MATH_TYPES_H */
