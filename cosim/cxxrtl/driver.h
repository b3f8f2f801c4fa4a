/*
 * OxCore generic CXXRTL driver: C ABI loaded from Python with ctypes.
 *
 * One shared library per design: `driver.cc` includes the `write_cxxrtl` output
 * (`design.cc`, top module class `cxxrtl_design::p_top`) and exports the functions
 * below. Nothing here depends on the design except through CXXRTL debug items, so the
 * same driver serves every design; Python finds signals by their hierarchical debug
 * names ("cnt", "cpu regs", "retire.valid", memories such as "mem").
 *
 * Cycle model (the same one the Amaranth-simulator harnesses use):
 *   - Between calls the model is *settled*: clock low, every combinational value
 *     computed from the current state and the current inputs. This is "cycle k".
 *   - `oxc_run` executes cycles: check the attention condition (stop *before* the
 *     edge, so Python can answer a request in the same cycle), dump VCD, append a
 *     record if its valid bit is set, rising edge. Samples are only ever taken from
 *     settled values -- after a clock-low settle, or (one-eval-per-cycle designs)
 *     between the rising-edge eval and its commit -- never right after a clock step,
 *     where write_cxxrtl -O4..-O6 unbuffered combinational outputs read one cycle stale.
 *     See oxc_run in driver.cc.
 */
#ifndef OXC_DRIVER_H
#define OXC_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OXC_ABI_VERSION 2

/* The library is compiled with -fvisibility=hidden; only this API is exported. */
#define OXC_API __attribute__((visibility("default")))

typedef struct oxc_sim oxc_sim;

/* Stop reasons returned by oxc_run. */
enum {
	OXC_STOP_CYCLES = 0,    /* ran max_cycles */
	OXC_STOP_ATTENTION = 1, /* an attention condition holds in the (settled) current cycle */
	OXC_STOP_FULL = 2,      /* `cap` records taken; the cycle that took the last one has run */
};

/* Flags for oxc_run. */
enum {
	/* Do not test the attention condition in the first cycle of this call: the caller
	   has answered the request that stopped the previous call in this same cycle. */
	OXC_RUN_SKIP_FIRST_ATTENTION = 1,
};

OXC_API int oxc_abi_version(void);
OXC_API oxc_sim *oxc_create(void);
OXC_API void oxc_destroy(oxc_sim *sim);
OXC_API const char *oxc_last_error(oxc_sim *sim);

/* Reset to the initial state (register inits, memories as in the generated code) and cycle 0. */
OXC_API void oxc_reset(oxc_sim *sim);
OXC_API uint64_t oxc_cycle(oxc_sim *sim);

/* Debug items ("signals"), enumerated in name order. */
OXC_API size_t oxc_item_count(oxc_sim *sim);
/* type: CXXRTL_VALUE/WIRE/MEMORY/ALIAS/OUTLINE; flags: CXXRTL_INPUT/OUTPUT/...;
   width in bits; depth (memories) else 1; parts: number of parts (1 for most). */
OXC_API int oxc_item_info(oxc_sim *sim, size_t index, const char **name, uint32_t *type,
                  uint32_t *flags, uint64_t *width, uint64_t *depth, uint32_t *parts);
/* Index of the item with this name, or -1. */
OXC_API int64_t oxc_find(oxc_sim *sim, const char *name);

/* Read a non-memory item as little-endian 32-bit words (nwords >= ceil(width/32)). */
OXC_API int oxc_peek(oxc_sim *sim, size_t index, uint32_t *out, size_t nwords);
/* Write an input (or a register, through its next value); takes effect at the next settle. */
OXC_API int oxc_poke(oxc_sim *sim, size_t index, const uint32_t *in, size_t nwords);
/* Re-evaluate combinational logic after pokes (clock low, no edge). */
OXC_API void oxc_settle(oxc_sim *sim);

/* Memories: pointer to row 0 of `depth` rows of ceil(width/32) words each (row index minus
   zero_at). Valid for the life of `sim`. Write only between calls, keeping padding bits 0. */
OXC_API uint32_t *oxc_memory_data(oxc_sim *sim, size_t index, uint64_t *zero_at);

/* The clock input toggled by oxc_run (default: "clk" if present). */
OXC_API int oxc_set_clock(oxc_sim *sim, int64_t index);

/* Conditions (a record's valid condition, attention conditions) are on one item: they
   hold when all the listed bits of the item are set, or, with no bits listed, when any
   bit of it is set. Items must be single-part, non-memory (e.g. toplevel ports). */

/* Records: each record is [cycle lo, cycle hi] (if stamp) followed by the words of every
   item in `items`, in order. A record is taken in each cycle where the valid condition
   holds (valid_item < 0: every cycle). */
OXC_API int oxc_config_record(oxc_sim *sim, const int64_t *items, size_t count,
                              int64_t valid_item, const int64_t *valid_bits, size_t valid_nbits,
                              int stamp);
/* As oxc_config_record, but a record is taken in each cycle where *any* of `nvalid`
   conditions holds (several ports recorded together, e.g. a core's retire port and its
   engines' commit ports): condition i is on valid_items[i] with the bits
   bits[first[i] .. first[i] + nbits[i]) (see oxc_config_attention). */
OXC_API int oxc_config_record_any(oxc_sim *sim, const int64_t *items, size_t count,
                                  const int64_t *valid_items, const int64_t *first,
                                  const int64_t *nbits, const int64_t *bits, size_t nvalid,
                                  int stamp);
/* Words per record under the current configuration. */
OXC_API size_t oxc_record_words(oxc_sim *sim);
/* Attention: stop when any condition holds. Condition i is on items[i], with the bits
   bits[first[i] .. first[i] + nbits[i]). */
OXC_API int oxc_config_attention(oxc_sim *sim, const int64_t *items, const int64_t *first,
                                 const int64_t *nbits, const int64_t *bits, size_t count);

/* Run up to max_cycles cycles. Records go to buf (at most `cap` records: the call stops
   after the cycle that takes the last one; with cap 0, before the first cycle that would
   take one). Returns the number of cycles run; *reason is
   an OXC_STOP_* value and *attention a mask of the conditions that hold when reason is
   OXC_STOP_ATTENTION. */
OXC_API uint64_t oxc_run(oxc_sim *sim, uint64_t max_cycles, uint32_t flags, uint32_t *buf, uint64_t cap,
                 uint64_t *records, uint32_t *reason, uint64_t *attention);

/* Cycle strategy: 1 = one eval per cycle (default when the design allows it), 0 = two
   CXXRTL steps per cycle. Both give identical results; the switch exists for tests. */
OXC_API int oxc_set_single_eval(oxc_sim *sim, int enable);
OXC_API int oxc_single_eval(oxc_sim *sim);

/* VCD output of cycles [start, end) to `path` (the caller renames it into place after
   oxc_vcd_close). `scope` is the space-separated scope of the toplevel, e.g. "bench top";
   period_fs is the clock period (timescale 1 fs, rising edge of cycle k at (k+1/2) period,
   as in the Amaranth simulator). */
OXC_API int oxc_vcd_open(oxc_sim *sim, const char *path, uint64_t start, uint64_t end, uint64_t period_fs,
                 const char *scope, int memories);
OXC_API int oxc_vcd_close(oxc_sim *sim);

/* Testing: set the clock and do one CXXRTL step, without settling afterwards (this is
   how a naive driver samples; it shows the -O4+ stale-output trap). */
OXC_API void oxc_raw_step(oxc_sim *sim, int clk);

#ifdef __cplusplus
}
#endif

#endif
