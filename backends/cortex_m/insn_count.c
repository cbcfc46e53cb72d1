/* A QEMU TCG plugin that counts the guest instructions executed between two
   addresses, exactly: count.py builds it with the host's gcc and loads it as

       qemu-system-arm ... -plugin insn_count.so,start=0xADDR,end=0xADDR,out=FILE

   Every executed instruction adds one to a counter (an inline add, so a
   translation block left early still counts only what ran). When the
   instruction at `start` executes, the counter is noted; when the one at
   `end` executes, the advance is added to the total: an interval counts
   `start` and not `end`. Intervals repeat and add up; `start` executed again
   inside an interval (a loop back to a function's first instruction, a
   recursive call) changes nothing. With `lap=0xADDR` an interval is also cut
   into laps where the instruction at ADDR executes (the C backend's
   per-op marks): each lap counts from its cut (or the interval's start) to
   the next cut (or the interval's end). At exit FILE gets
   "insns N\nintervals K\ntotal M\n" (M: every instruction of the run), then
   "lap L\n" per lap in order.
   One vCPU (mps2 boards have one): the counter is not atomic.

   Debian's QEMU 7.2 ships no qemu-plugin.h, so the few declarations used are
   spelled out below, as QEMU 7.2's plugin API (version 1) defines them. */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -- the part of QEMU 7.2's include/qemu/qemu-plugin.h this plugin uses -- */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* not read */
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
/* -- end of the API -- */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

static uint64_t start_addr, end_addr, lap_addr;
static bool have_lap;
static const char *out_path;
static uint64_t counter;   /* every executed instruction */
static uint64_t noted;     /* counter at the last `start` */
static uint64_t lap_noted; /* counter at the last cut */
static bool inside;
static uint64_t total, intervals;
static uint64_t *laps;
static size_t n_laps, laps_capacity;

static void add_lap(void)
{
    if (n_laps == laps_capacity) {
        laps_capacity = laps_capacity ? 2 * laps_capacity : 1024;
        laps = realloc(laps, laps_capacity * sizeof *laps);
        if (laps == NULL) {
            fputs("insn_count: out of memory for laps\n", stderr);
            exit(1);
        }
    }
    laps[n_laps++] = counter - lap_noted;
    lap_noted = counter;
}

static void on_start(unsigned int vcpu, void *userdata)
{
    (void)vcpu, (void)userdata;
    if (!inside) {
        noted = lap_noted = counter;
        inside = true;
    }
}

static void on_end(unsigned int vcpu, void *userdata)
{
    (void)vcpu, (void)userdata;
    if (inside) {
        if (have_lap)
            add_lap();
        total += counter - noted;
        intervals++;
        inside = false;
    }
}

static void on_lap(unsigned int vcpu, void *userdata)
{
    (void)vcpu, (void)userdata;
    if (inside)
        add_lap();
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t i = 0, n = qemu_plugin_tb_n_insns(tb); i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &counter, 1);
        if (vaddr == start_addr)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (vaddr == end_addr)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (have_lap && vaddr == lap_addr)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_lap, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id, (void)userdata;
    FILE *f = fopen(out_path, "w");
    if (f == NULL) {
        fprintf(stderr, "insn_count: cannot write %s\n", out_path);
        return;
    }
    fprintf(f, "insns %" PRIu64 "\nintervals %" PRIu64 "\ntotal %" PRIu64 "\n", total, intervals, counter);
    for (size_t i = 0; i < n_laps; i++)
        fprintf(f, "lap %" PRIu64 "\n", laps[i]);
    fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    bool have_start = false, have_end = false;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "start=", 6) == 0) {
            start_addr = strtoull(argv[i] + 6, NULL, 0), have_start = true;
        } else if (strncmp(argv[i], "end=", 4) == 0) {
            end_addr = strtoull(argv[i] + 4, NULL, 0), have_end = true;
        } else if (strncmp(argv[i], "lap=", 4) == 0) {
            lap_addr = strtoull(argv[i] + 4, NULL, 0) & ~(uint64_t)1, have_lap = true;
        } else if (strncmp(argv[i], "out=", 4) == 0) {
            out_path = argv[i] + 4;
        } else {
            fprintf(stderr, "insn_count: unknown argument '%s'\n", argv[i]);
            return -1;
        }
    }
    if (!have_start || !have_end || out_path == NULL) {
        fprintf(stderr, "insn_count: give start=ADDR,end=ADDR,out=FILE[,lap=ADDR]\n");
        return -1;
    }
    /* Thumb: a function symbol's address has bit 0 set, its instructions' do not. */
    start_addr &= ~(uint64_t)1;
    end_addr &= ~(uint64_t)1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
