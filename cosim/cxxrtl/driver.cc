// OxCore generic CXXRTL driver. See driver.h for the API and the cycle model.
//
// Compiled as one translation unit with the generated design (design.cc, found on the
// include path of the build directory), so the calls to the toplevel's eval()/commit()
// are direct (devirtualised) calls.

#include "driver.h"

#include <cxxrtl/cxxrtl.h>
#include <cxxrtl/cxxrtl_vcd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "design.cc"
#include "design_glue.h"

using cxxrtl::chunk_t;
using cxxrtl::debug_item;

static_assert(sizeof(chunk_t) == sizeof(uint32_t), "CXXRTL chunks are expected to be 32-bit");

namespace {

struct Item {
	std::string name;
	std::vector<debug_item> parts;
	uint32_t type;
	uint32_t flags;
	size_t width;
	size_t depth;
};

// A condition on one item: all of the bits in `masks` set, or (no masks) any bit set.
struct Cond {
	const chunk_t *ptr = nullptr;
	size_t words = 0;
	std::vector<std::pair<size_t, chunk_t>> masks; // (word, mask)
};

struct Field {
	const chunk_t *ptr;
	size_t words;
};

size_t words_for(size_t bits) { return (bits + 31) / 32; }

inline bool test(const Cond &cond) {
	if (cond.masks.empty()) {
		for (size_t i = 0; i < cond.words; i++)
			if (cond.ptr[i])
				return true;
		return false;
	}
	for (const auto &mask : cond.masks)
		if ((cond.ptr[mask.first] & mask.second) != mask.second)
			return false;
	return true;
}

inline bool get_bit(const chunk_t *p, size_t bit) { return (p[bit / 32] >> (bit % 32)) & 1; }
inline void put_bit(chunk_t *p, size_t bit, bool v) {
	if (v) p[bit / 32] |= (chunk_t)1 << (bit % 32);
	else   p[bit / 32] &= ~((chunk_t)1 << (bit % 32));
}

// VCD names the way the Amaranth simulator writes them: struct fields and array rows are
// escaped identifiers ("\retire.valid", "\mem[3]"); scopes are module instance names.
std::string vcd_component(const std::string &name) {
	if (name.find_first_of(".[]") != std::string::npos)
		return "\\" + name;
	return name;
}

std::string vcd_name(const std::string &prefix, const std::string &debug_name) {
	std::string out = prefix;
	size_t start = 0;
	while (true) {
		size_t space = debug_name.find(' ', start);
		std::string part = debug_name.substr(start, space == std::string::npos ? std::string::npos : space - start);
		if (!out.empty())
			out += ' ';
		out += vcd_component(part);
		if (space == std::string::npos)
			break;
		start = space + 1;
	}
	return out;
}

// cxxrtl::vcd_writer appends a bit range to every name ending in ']' (for Verilog-style
// part selects); our "\mem[3]" rows are whole variables, as in the Amaranth simulator.
void strip_row_ranges(std::string &header) {
	std::string out;
	size_t pos = 0;
	while (pos < header.size()) {
		size_t eol = header.find('\n', pos);
		if (eol == std::string::npos) eol = header.size();
		std::string line = header.substr(pos, eol - pos);
		if (line.compare(0, 5, "$var ") == 0) {
			// $var <type> <width> <ident> <name> [range] $end
			std::vector<std::string> tok;
			size_t i = 0;
			while (i < line.size()) {
				size_t j = line.find(' ', i);
				if (j == std::string::npos) j = line.size();
				if (j > i) tok.push_back(line.substr(i, j - i));
				i = j + 1;
			}
			if (tok.size() == 7 && tok[4][0] == '\\' && tok[4].back() == ']' && tok[5][0] == '[') {
				line = tok[0] + " " + tok[1] + " " + tok[2] + " " + tok[3] + " " + tok[4] + " " + tok[6];
			}
		}
		out += line;
		if (eol < header.size()) out += '\n';
		pos = eol + 1;
		if (line == "$enddefinitions $end") {
			if (pos < header.size()) out += header.substr(pos);
			break;
		}
	}
	header.swap(out);
}

} // namespace

struct oxc_sim {
	cxxrtl_design::p_top top;
	cxxrtl::debug_items debug;
	std::vector<Item> table;
	std::map<std::string, size_t> index;
	chunk_t *clk = nullptr;
	uint64_t cycle = 0;
	// One eval per cycle (see design_glue() in build.py and oxc_run below).
	bool single_eval = OXC_SINGLE_EVAL;
	std::string error;

	// Records and attention.
	std::vector<Field> record;
	bool record_on = false;
	bool stamp = false;
	bool has_valid = false;
	Cond valid{};
	std::vector<Cond> valid_more; // further conditions, any of which also takes a record
	size_t record_words = 0;
	std::vector<Cond> attention;

	// Waveforms.
	std::unique_ptr<cxxrtl::vcd_writer> vcd;
	FILE *vcd_file = nullptr;
	uint64_t vcd_start = 0, vcd_end = 0, vcd_period = 0;
	bool vcd_sampled = false;

	void step() {
		bool converged;
		do {
			converged = top.cxxrtl_design::p_top::eval(nullptr);
		} while (top.cxxrtl_design::p_top::commit() && !converged);
	}

	void settle() {
		if (clk) *clk = 0;
		step();
	}

	void edge() {
		if (clk) *clk = 1;
		step();
	}

	void vcd_flush(bool force) {
		if (!vcd_sampled || !vcd_file) return;
		if (force || vcd->buffer.size() >= (1u << 20)) {
			fwrite(vcd->buffer.data(), 1, vcd->buffer.size(), vcd_file);
			vcd->buffer.clear();
		}
	}

	void vcd_sample_one(uint64_t time) {
		bool first = !vcd_sampled;
		vcd->sample(time);
		if (first) {
			vcd_sampled = true;
			strip_row_ranges(vcd->buffer);
		}
	}

	// Cycle `cycle`, settled, before its rising edge. The Amaranth simulator shows the
	// state after edge k-1 from time (k - 1/2) period with the clock high, and the clock
	// low from k period; this reproduces both samples.
	void vcd_cycle() {
		chunk_t saved = clk ? *clk : 0;
		if (cycle == 0) {
			if (clk) *clk = 0;
			vcd_sample_one(0);
		} else {
			if (clk) *clk = 1;
			vcd_sample_one((2 * cycle - 1) * (vcd_period / 2));
			if (clk) *clk = 0;
			vcd_sample_one(cycle * vcd_period);
		}
		if (clk) *clk = saved;
		vcd_flush(false);
	}
};

extern "C" {

int oxc_abi_version(void) { return OXC_ABI_VERSION; }

oxc_sim *oxc_create(void) {
	try {
		oxc_sim *sim = new oxc_sim;
		sim->top.debug_info(&sim->debug, /*scopes=*/nullptr, "");
		for (auto &entry : sim->debug.table) {
			Item item;
			item.name = entry.first;
			item.parts = entry.second;
			const debug_item &first = item.parts.front();
			item.type = first.type;
			item.flags = first.flags;
			item.depth = first.depth;
			item.width = 0;
			for (auto &part : item.parts)
				if (part.lsb_at + part.width > item.width)
					item.width = part.lsb_at + part.width;
			sim->index[item.name] = sim->table.size();
			sim->table.push_back(std::move(item));
		}
		auto it = sim->index.find("clk");
		if (it != sim->index.end()) {
			const Item &clk = sim->table[it->second];
			if (clk.parts.size() == 1 && clk.width == 1 && clk.parts[0].next)
				sim->clk = clk.parts[0].next;
		}
		sim->settle();
		return sim;
	} catch (...) {
		return nullptr;
	}
}

void oxc_destroy(oxc_sim *sim) {
	if (!sim) return;
	if (sim->vcd_file) fclose(sim->vcd_file);
	delete sim;
}

const char *oxc_last_error(oxc_sim *sim) { return sim->error.c_str(); }

void oxc_reset(oxc_sim *sim) {
	sim->top.reset();
	sim->cycle = 0;
	sim->settle();
}

uint64_t oxc_cycle(oxc_sim *sim) { return sim->cycle; }

size_t oxc_item_count(oxc_sim *sim) { return sim->table.size(); }

int oxc_item_info(oxc_sim *sim, size_t index, const char **name, uint32_t *type,
                  uint32_t *flags, uint64_t *width, uint64_t *depth, uint32_t *parts) {
	if (index >= sim->table.size()) return -1;
	const Item &item = sim->table[index];
	*name = item.name.c_str();
	*type = item.type;
	*flags = item.flags;
	*width = item.width;
	*depth = item.depth;
	*parts = (uint32_t)item.parts.size();
	return 0;
}

int64_t oxc_find(oxc_sim *sim, const char *name) {
	auto it = sim->index.find(name);
	return it == sim->index.end() ? -1 : (int64_t)it->second;
}

int oxc_peek(oxc_sim *sim, size_t index, uint32_t *out, size_t nwords) {
	if (index >= sim->table.size()) { sim->error = "no such item"; return -1; }
	Item &item = sim->table[index];
	if (item.type == debug_item::MEMORY) { sim->error = item.name + " is a memory"; return -1; }
	if (nwords < words_for(item.width)) { sim->error = "buffer too small"; return -1; }
	std::memset(out, 0, nwords * sizeof(uint32_t));
	for (auto &part : item.parts) {
		if (part.type == debug_item::OUTLINE)
			part.outline->eval();
		if (part.lsb_at % 32 == 0) {
			std::memcpy(out + part.lsb_at / 32, part.curr, words_for(part.width) * sizeof(uint32_t));
		} else {
			for (size_t bit = 0; bit < part.width; bit++)
				put_bit(out, part.lsb_at + bit, get_bit(part.curr, bit));
		}
	}
	return 0;
}

int oxc_poke(oxc_sim *sim, size_t index, const uint32_t *in, size_t nwords) {
	if (index >= sim->table.size()) { sim->error = "no such item"; return -1; }
	Item &item = sim->table[index];
	if (item.type == debug_item::MEMORY) { sim->error = item.name + " is a memory"; return -1; }
	if (nwords < words_for(item.width)) { sim->error = "buffer too small"; return -1; }
	for (auto &part : item.parts) {
		const bool comb_only = (part.flags & debug_item::DRIVEN_COMB) &&
			!(part.flags & (debug_item::DRIVEN_SYNC | debug_item::INPUT));
		if (part.next == nullptr || comb_only || part.type == debug_item::ALIAS ||
		    part.type == debug_item::OUTLINE) {
			sim->error = item.name + " is not writable (driven by logic, constant or an alias)";
			return -1;
		}
	}
	for (auto &part : item.parts) {
		size_t n = words_for(part.width);
		for (size_t w = 0; w < n; w++) part.next[w] = 0;
		for (size_t bit = 0; bit < part.width; bit++)
			put_bit(part.next, bit, get_bit(in, part.lsb_at + bit));
	}
	return 0;
}

void oxc_settle(oxc_sim *sim) { sim->settle(); }

uint32_t *oxc_memory_data(oxc_sim *sim, size_t index, uint64_t *zero_at) {
	if (index >= sim->table.size()) { sim->error = "no such item"; return nullptr; }
	Item &item = sim->table[index];
	if (item.type != debug_item::MEMORY || item.parts.size() != 1) {
		sim->error = item.name + " is not a memory";
		return nullptr;
	}
	*zero_at = item.parts[0].zero_at;
	return item.parts[0].curr;
}

int oxc_set_clock(oxc_sim *sim, int64_t index) {
	if (index < 0) { sim->clk = nullptr; return 0; }
	if ((size_t)index >= sim->table.size()) { sim->error = "no such item"; return -1; }
	Item &item = sim->table[index];
	if (item.parts.size() != 1 || item.width != 1 || !item.parts[0].next || !(item.flags & debug_item::INPUT)) {
		sim->error = item.name + " is not a 1-bit input";
		return -1;
	}
	sim->clk = item.parts[0].next;
	return 0;
}

static int hot_item(oxc_sim *sim, int64_t index, const char *what, const Item **out) {
	if (index < 0 || (size_t)index >= sim->table.size()) { sim->error = "no such item"; return -1; }
	const Item &item = sim->table[index];
	if (item.parts.size() != 1 || item.type == debug_item::MEMORY || item.type == debug_item::OUTLINE
	    || item.parts[0].lsb_at != 0) {
		sim->error = item.name + " cannot be used as " + what +
			": it must be a single-part value or wire, not a memory or an optimised-out (outline) "
			"signal; use a toplevel port";
		return -1;
	}
	*out = &item;
	return 0;
}

static int make_cond(oxc_sim *sim, int64_t index, const int64_t *bits, size_t nbits,
                     const char *what, Cond *out) {
	const Item *item;
	if (hot_item(sim, index, what, &item)) return -1;
	Cond cond;
	cond.ptr = item->parts[0].curr;
	cond.words = words_for(item->width);
	std::map<size_t, chunk_t> masks;
	for (size_t i = 0; i < nbits; i++) {
		if (bits[i] < 0 || (size_t)bits[i] >= item->width) {
			sim->error = std::string(what) + ": bit " + std::to_string(bits[i]) +
				" out of range for " + item->name;
			return -1;
		}
		masks[bits[i] / 32] |= (chunk_t)1 << (bits[i] % 32);
	}
	cond.masks.assign(masks.begin(), masks.end());
	*out = std::move(cond);
	return 0;
}

int oxc_config_record(oxc_sim *sim, const int64_t *items, size_t count,
                      int64_t valid_item, const int64_t *valid_bits, size_t valid_nbits, int stamp) {
	std::vector<Field> fields;
	size_t words = stamp ? 2 : 0;
	for (size_t i = 0; i < count; i++) {
		const Item *item;
		if (hot_item(sim, items[i], "a record field", &item)) return -1;
		fields.push_back(Field { item->parts[0].curr, words_for(item->width) });
		words += words_for(item->width);
	}
	Cond valid;
	if (valid_item >= 0 && make_cond(sim, valid_item, valid_bits, valid_nbits, "a record valid condition", &valid))
		return -1;
	sim->record = std::move(fields);
	sim->record_on = count > 0 || stamp;
	sim->stamp = stamp;
	sim->has_valid = valid_item >= 0;
	sim->valid = std::move(valid);
	sim->valid_more.clear();
	sim->record_words = words;
	return 0;
}

int oxc_config_record_any(oxc_sim *sim, const int64_t *items, size_t count,
                          const int64_t *valid_items, const int64_t *first,
                          const int64_t *nbits, const int64_t *bits, size_t nvalid, int stamp) {
	std::vector<Cond> conds(nvalid);
	for (size_t i = 0; i < nvalid; i++)
		if (make_cond(sim, valid_items[i], bits + first[i], (size_t)nbits[i],
		              "a record valid condition", &conds[i]))
			return -1;
	if (nvalid == 0)
		return oxc_config_record(sim, items, count, -1, nullptr, 0, stamp);
	if (oxc_config_record(sim, items, count, valid_items[0], bits + first[0], (size_t)nbits[0], stamp))
		return -1;
	sim->valid_more.assign(conds.begin() + 1, conds.end());
	return 0;
}

size_t oxc_record_words(oxc_sim *sim) { return sim->record_words; }

int oxc_config_attention(oxc_sim *sim, const int64_t *items, const int64_t *first,
                         const int64_t *nbits, const int64_t *bits, size_t count) {
	if (count > 64) { sim->error = "at most 64 attention conditions"; return -1; }
	std::vector<Cond> conds(count);
	for (size_t i = 0; i < count; i++)
		if (make_cond(sim, items[i], bits + first[i], (size_t)nbits[i], "an attention condition", &conds[i]))
			return -1;
	sim->attention = std::move(conds);
	return 0;
}

// One cycle, two ways:
//
// - two steps (always correct): the model is settled (clock low) at the top of the loop;
//   test attention, sample, then `edge()` (clock high, step) and `settle()` (clock low,
//   step). Two evals per cycle.
// - one eval (OXC_SINGLE_EVAL designs, whose eval always converges in one pass): raise
//   the clock and eval once. That eval computes every combinational value of the current
//   cycle from the current state *and* the next state, so the samples are taken between
//   eval and commit; commit is the clock edge. Stopping there (attention, full buffer)
//   undoes the uncommitted edge with oxc_glue_cancel. One eval per cycle.
//
// Either way the model is left settled on return.
uint64_t oxc_run(oxc_sim *sim, uint64_t max_cycles, uint32_t flags, uint32_t *buf, uint64_t cap,
                 uint64_t *records, uint32_t *reason, uint64_t *attention) {
	oxc_sim &s = *sim;
	s.settle(); // pick up inputs poked since the last call
	uint64_t n = 0, r = 0;
	*reason = OXC_STOP_CYCLES;
	*attention = 0;
	const bool skip_first = flags & OXC_RUN_SKIP_FIRST_ATTENTION;
	const bool any_attention = !s.attention.empty();
	const size_t words = s.record_words;
	bool settled = true;
	while (n < max_cycles) {
		const bool single = s.single_eval && s.clk;
		if (single) {
			*s.clk = 1;
			if (!s.top.cxxrtl_design::p_top::eval(nullptr)) {
				// Did not converge after all: drop this eval, use two steps from now on.
				oxc_glue_cancel(s.top);
				s.single_eval = false;
				s.settle();
				continue;
			}
			settled = false;
		}
		if (any_attention && !(skip_first && n == 0)) {
			uint64_t mask = 0;
			for (size_t i = 0; i < s.attention.size(); i++)
				if (test(s.attention[i]))
					mask |= (uint64_t)1 << i;
			if (mask) {
				*reason = OXC_STOP_ATTENTION;
				*attention = mask;
				if (single) oxc_glue_cancel(s.top);
				break;
			}
		}
		bool take = s.record_on && (!s.has_valid || test(s.valid));
		if (!take && !s.valid_more.empty()) {
			for (const Cond &cond : s.valid_more)
				if (test(cond)) { take = true; break; }
		}
		if (take && r >= cap) {
			*reason = OXC_STOP_FULL;
			if (single) oxc_glue_cancel(s.top);
			break;
		}
		if (s.vcd && s.cycle >= s.vcd_start && s.cycle < s.vcd_end)
			s.vcd_cycle();
		if (take) {
			uint32_t *dst = buf + r * words;
			if (s.stamp) {
				*dst++ = (uint32_t)s.cycle;
				*dst++ = (uint32_t)(s.cycle >> 32);
			}
			for (const Field &f : s.record) {
				std::memcpy(dst, f.ptr, f.words * sizeof(uint32_t));
				dst += f.words;
			}
			r++;
		}
		if (single) {
			s.top.cxxrtl_design::p_top::commit();
			if (!oxc_glue_clock_low(s.top, s.clk)) {
				*s.clk = 0;
				s.top.cxxrtl_design::p_top::commit();
			}
		} else {
			s.edge();
			s.settle();
		}
		s.cycle++;
		n++;
		if (take && r == cap) {
			*reason = OXC_STOP_FULL;
			break;
		}
	}
	if (!settled)
		s.settle();
	*records = r;
	return n;
}

int oxc_set_single_eval(oxc_sim *sim, int enable) {
	if (enable && !OXC_SINGLE_EVAL) {
		sim->error = "this design cannot run one eval per cycle (its eval does not always converge "
		             "in one pass, or its commit() was not understood)";
		return -1;
	}
	sim->single_eval = enable != 0;
	return 0;
}

int oxc_single_eval(oxc_sim *sim) { return sim->single_eval ? 1 : 0; }

int oxc_vcd_open(oxc_sim *sim, const char *path, uint64_t start, uint64_t end, uint64_t period_fs,
                 const char *scope, int memories) {
	try {
		if (sim->vcd) { sim->error = "a VCD file is already open"; return -1; }
		if (period_fs < 2 || period_fs % 2) { sim->error = "period_fs must be even and >= 2"; return -1; }
		FILE *file = fopen(path, "wb");
		if (!file) { sim->error = std::string("cannot open ") + path; return -1; }
		std::unique_ptr<cxxrtl::vcd_writer> vcd(new cxxrtl::vcd_writer);
		vcd->timescale(1, "fs");
		std::string prefix = scope ? scope : "";
			for (const Item &item : sim->table) {
			if (item.type == debug_item::MEMORY) {
				if (!memories) continue;
				const debug_item &mem = item.parts[0];
				const size_t stride = words_for(mem.width);
				size_t space = item.name.rfind(' ');
				std::string parent = space == std::string::npos ? "" : item.name.substr(0, space);
				std::string leaf = space == std::string::npos ? item.name : item.name.substr(space + 1);
				std::string scope_name = parent.empty() ? prefix : vcd_name(prefix, parent);
				for (size_t row = 0; row < mem.depth; row++) {
					::cxxrtl_object obj = mem;
					obj.type = debug_item::WIRE;
					obj.depth = 1;
					obj.zero_at = 0;
					obj.curr = mem.curr + row * stride;
					obj.next = obj.curr;
					std::string name = "\\" + leaf + "[" + std::to_string(row + mem.zero_at) + "]";
					vcd->add(scope_name.empty() ? name : scope_name + " " + name, debug_item(obj), false);
				}
				continue;
			}
			std::string name = vcd_name(prefix, item.name);
			for (const debug_item &part : item.parts)
				vcd->add(name, part, item.parts.size() > 1);
		}
		static const char comment[] = "$comment Generated by OxCore (CXXRTL) $end\n";
		fwrite(comment, 1, sizeof(comment) - 1, file);
		sim->vcd = std::move(vcd);
		sim->vcd_file = file;
		sim->vcd_start = start;
		sim->vcd_end = end;
		sim->vcd_period = period_fs;
		sim->vcd_sampled = false;
		return 0;
	} catch (const std::exception &e) {
		sim->error = e.what();
		return -1;
	}
}

int oxc_vcd_close(oxc_sim *sim) {
	if (!sim->vcd) { sim->error = "no VCD file is open"; return -1; }
	if (!sim->vcd_sampled) {
		// Nothing in the window ran: still write a valid file (definitions and the
		// values at the current cycle).
		sim->vcd_cycle();
	}
	sim->vcd_flush(true);
	int rc = fclose(sim->vcd_file) == 0 ? 0 : -1;
	if (rc) sim->error = "error writing the VCD file";
	sim->vcd_file = nullptr;
	sim->vcd.reset();
	return rc;
}

void oxc_raw_step(oxc_sim *sim, int clk) {
	if (sim->clk) *sim->clk = clk ? 1 : 0;
	sim->step();
}

} // extern "C"
