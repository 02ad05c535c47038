// GDT (with a TSS for the interrupt stacks), IDT, and the exception reports.
//
// Every vector goes through entry.S's stubs to trap_entry(). Vectors 0-31 are CPU exceptions:
// the report names the exception, the error code, RIP, CR2 (page faults) and the registers, says
// what it most likely was (NULL dereference, stack overflow into the guard page, a write to
// read-only memory, executing data), and ends the VM with UK_EXIT_ABORT. Double faults, page
// faults, NMIs and machine checks run on their own stack (IST 1), so a stack overflow is
// reported instead of turning into a triple fault. Vectors >= 32 are interrupts (irq.cpp).
#include <unikit/platform.h>

#include "platforms/virtio/kernel/internal.h"

extern "C" {
extern uint64_t gdt[];
extern const uint64_t trap_stubs[256];
extern char boot_stack_guard[];
void trap_entry(unikit::virtio::k::TrapFrame* f);
}

namespace unikit::virtio::k {
namespace {

struct __attribute__((packed)) Tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
static_assert(sizeof(Tss) == 104);

struct IdtEntry {
    uint16_t off_lo, selector;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, reserved;
};
static_assert(sizeof(IdtEntry) == 16);

alignas(16) Tss g_tss;
alignas(16) IdtEntry g_idt[256];
alignas(16) uint8_t g_ist_stack[16384];

struct __attribute__((packed)) DescPtr {
    uint16_t limit;
    uint64_t base;
};

const char* const kNames[32] = {
    "divide error (#DE)", "debug (#DB)", "NMI", "breakpoint (#BP)", "overflow (#OF)", "bound range (#BR)",
    "invalid opcode (#UD)", "device not available (#NM)", "double fault (#DF)", "coprocessor overrun",
    "invalid TSS (#TS)", "segment not present (#NP)", "stack fault (#SS)", "general protection (#GP)",
    "page fault (#PF)", "reserved 15", "x87 error (#MF)", "alignment check (#AC)", "machine check (#MC)",
    "SIMD error (#XM)", "virtualization (#VE)", "control protection (#CP)", "reserved 22", "reserved 23",
    "reserved 24", "reserved 25", "reserved 26", "reserved 27", "hypervisor injection (#HV)",
    "VMM communication (#VC)", "security (#SX)", "reserved 31"};

void reg(const char* name, uint64_t v) {
    kputs(name);
    kput_hex(v);
}

bool g_in_report = false;

[[noreturn]] void report(const TrapFrame* f) {
    if (g_in_report) vm_exit(UK_EXIT_ABORT);  // a fault while reporting one: just end
    g_in_report = true;
    uint64_t cr2;
    asm volatile("mov %%cr2, %0" : "=r"(cr2));
    kputs("\nEXCEPTION: ");
    kputs(kNames[f->vector & 31]);
    kputs(", vector ");
    kput_dec(f->vector);
    reg(", error ", f->error);
    reg(", RIP ", f->rip);
    if (f->vector == 14) reg(", CR2 ", cr2);
    kputs("\n");
    if (f->vector == 14) {
        const uint64_t guard = reinterpret_cast<uint64_t>(boot_stack_guard);
        const char* why = nullptr;
        if (cr2 >= guard && cr2 < guard + 4096) why = "stack overflow (hit the guard page under the stack)";
        else if (cr2 < 4096) why = "NULL pointer dereference";
        else if ((f->error & 1) && (f->error & 2)) why = "write to read-only memory (code or read-only data: W^X)";
        else if ((f->error & 1) && (f->error & 16)) why = "instruction fetch from non-executable memory (W^X)";
        else if (!(f->error & 1)) why = "access to unmapped memory";
        if (why) {
            kputs("  cause: ");
            kputs(why);
            kputs("\n");
        }
    } else if (f->vector == 0) {
        kputs("  cause: integer division by zero (or quotient overflow)\n");
    }
    reg("  rax ", f->rax); reg(" rbx ", f->rbx); reg(" rcx ", f->rcx); reg(" rdx ", f->rdx); kputs("\n");
    reg("  rsi ", f->rsi); reg(" rdi ", f->rdi); reg(" rbp ", f->rbp); reg(" rsp ", f->rsp); kputs("\n");
    reg("  r8  ", f->r8);  reg(" r9  ", f->r9);  reg(" r10 ", f->r10); reg(" r11 ", f->r11); kputs("\n");
    reg("  r12 ", f->r12); reg(" r13 ", f->r13); reg(" r14 ", f->r14); reg(" r15 ", f->r15); kputs("\n");
    reg("  rflags ", f->rflags); reg(" cs ", f->cs); reg(" ss ", f->ss); kputs("\n");
    vm_exit(UK_EXIT_ABORT);
}

void set_gate(unsigned v, uint64_t handler, uint8_t ist) {
    IdtEntry& e = g_idt[v];
    e.off_lo = static_cast<uint16_t>(handler);
    e.selector = 0x08;
    e.ist = ist;
    e.type = 0x8e;  // present, DPL 0, 64-bit interrupt gate (IF cleared on entry)
    e.off_mid = static_cast<uint16_t>(handler >> 16);
    e.off_hi = static_cast<uint32_t>(handler >> 32);
    e.reserved = 0;
}

}  // namespace

void traps_init() {
    // TSS: IST 1 = its own stack; no I/O permission bitmap.
    g_tss.ist[0] = reinterpret_cast<uint64_t>(g_ist_stack + sizeof g_ist_stack);
    g_tss.iomap_base = sizeof(Tss);
    const uint64_t base = reinterpret_cast<uint64_t>(&g_tss), limit = sizeof(Tss) - 1;
    gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
             (((base >> 24) & 0xff) << 56);
    gdt[4] = base >> 32;
    asm volatile("ltr %w0" : : "r"(0x18));

    for (unsigned v = 0; v < 256; ++v) {
        bool own_stack = v == 2 || v == 8 || v == 14 || v == 18;
        set_gate(v, trap_stubs[v], own_stack ? 1 : 0);
    }
    DescPtr p{sizeof g_idt - 1, reinterpret_cast<uint64_t>(g_idt)};
    asm volatile("lidt %0" : : "m"(p));
}

}  // namespace unikit::virtio::k

extern "C" void trap_entry(unikit::virtio::k::TrapFrame* f) {
    if (f->vector >= 32) {
        unikit::virtio::k::irq_dispatch(static_cast<unsigned>(f->vector));
        return;
    }
    unikit::virtio::k::report(f);
}
