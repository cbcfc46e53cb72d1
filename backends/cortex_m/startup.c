/*
 * Bare-metal start-up for QEMU's mps2-an386 (Arm MPS2 board, AN386 FPGA image,
 * Cortex-M4 with FPU), linked with mps2_an386.ld and newlib + librdimon
 * (semihosting: printf, fopen, fread and exit reach the host through QEMU).
 *
 * Reset_Handler: enable the FPU (when compiled for one), copy .data from flash,
 * zero .bss, paint the stack, open the semihosting handles, run main, check the
 * stack guard, exit(main's status) through semihosting, which ends QEMU with it.
 * Any fault or unexpected interrupt prints its exception number and exits 128+N.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include "board.h"

/* Symbols of the linker script. */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_start[], __stack_top[];
extern char __heap_start[], __heap_end[];

int main(void);
void initialise_monitor_handles(void); /* librdimon: opens stdin/stdout/stderr */
void Reset_Handler(void);
void Fault_Handler(void);

#define STACK_PAINT 0xA5A5A5A5u
#define CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void)
{
#if defined(__ARM_FP)
    /* CP10 and CP11 full access: the FPU is off after reset, and the compiler
       may use it anywhere (even in a struct copy). */
    CPACR |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");
#endif
    for (uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;)
        *dst++ = *src++;
    for (uint32_t *dst = __bss_start; dst < __bss_end;)
        *dst++ = 0;
    /* Paint the stack below this frame, so that the peak use can be read. */
    uint32_t *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = __stack_start; p < sp - 16;)
        *p++ = STACK_PAINT;

    initialise_monitor_handles();
    int status = main();
    if (__stack_start[0] != STACK_PAINT) {
        fprintf(stderr, "tinyir: stack overflow (more than %u bytes)\n",
                (unsigned)((char *)__stack_top - (char *)__stack_start));
        status = 125;
    }
    exit(status);
}

size_t tinyir_stack_peak(void)
{
    const uint32_t *p = __stack_start;
    while (p < __stack_top && *p == STACK_PAINT)
        p++;
    return (size_t)((const char *)__stack_top - (const char *)p);
}

/* The heap is the linker script's .heap section, and no more: newlib's default
   _sbrk grows up to the stack pointer, which would hide a RAM overrun. */
static char *heap_top = __heap_start;

void *_sbrk(ptrdiff_t increment)
{
    if (increment > __heap_end - heap_top || increment < __heap_start - heap_top) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *previous = heap_top;
    heap_top += increment;
    return previous;
}

size_t tinyir_heap_used(void)
{
    return (size_t)(heap_top - __heap_start);
}

void Fault_Handler(void)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    ipsr &= 0x1FFu;
    /* Semihosting works from a handler in QEMU; stdio may be mid-call, so
       write with the unbuffered stderr only. */
    fprintf(stderr, "tinyir: exception %u (3 = HardFault)\n", (unsigned)ipsr);
    _exit(128 + (int)ipsr);
}

/* The vector table: initial stack pointer, then the handlers. The 16 system
   exceptions are enough (this code enables no interrupt); the rest would be
   device interrupts. */
__attribute__((section(".vectors"), used))
static void (*const vector_table[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,    /* reserved */
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMonitor */
    0,             /* reserved */
    Fault_Handler, /* PendSV */
    Fault_Handler, /* SysTick */
};
