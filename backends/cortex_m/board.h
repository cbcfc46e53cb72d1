/* What startup.c offers a program running on QEMU's mps2-an386. */
#ifndef TINYIR_BOARD_H
#define TINYIR_BOARD_H
#include <stddef.h>

/* Peak bytes of the .stack section used so far (the stack is painted at reset). */
size_t tinyir_stack_peak(void);
/* Bytes of the .heap section handed out by _sbrk (newlib's malloc, stdio). */
size_t tinyir_heap_used(void);

#endif
