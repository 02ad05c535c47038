/*
 * The virtio kernel's entry (PVH boot) and its interrupt/exception stubs.
 *
 * A PVH loader (QEMU -kernel with pvh.bin / qboot, Firecracker) loads the ELF at its physical
 * addresses and jumps to the address in the XEN_ELFNOTE_PHYS32_ENTRY note in 32-bit protected
 * mode: paging off, flat 4 GiB CS/DS, interrupts off, %ebx = the physical address of
 * struct hvm_start_info (see pvh.h). pvh_start32:
 *   1. zeroes .bss (the loader need not), keeping %ebx;
 *   2. builds early page tables that identity-map the first 4 GiB with 2 MiB pages;
 *   3. enables PAE, SSE (OSFXSR/OSXMMEXCPT), long mode with NX (when the CPU has it),
 *      paging with write protection for CPL0;
 *   4. loads the GDT, far-jumps to 64-bit code, sets the boot stack and calls
 *      kernel_main(start_info) (start.cpp), which never returns.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

    .section .note.Xen, "a", @note
    .balign 4
    .long 4                         /* namesz: "Xen\0" */
    .long 8                         /* descsz: a 64-bit address (QEMU reads 8 bytes) */
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .balign 4
    .quad pvh_start32

/* ---- boot data ------------------------------------------------------------------------------ */
    .section .bss.stack, "aw", @nobits
    .balign 4096
    .globl boot_stack_guard, boot_stack_top
boot_stack_guard:                   /* unmapped by the final page tables */
    .skip 4096
boot_stack_bottom:
    .skip 512 * 1024
boot_stack_top:

    .section .bss.early_pt, "aw", @nobits
    .balign 4096
early_pml4: .skip 4096
early_pdpt: .skip 4096
early_pd:   .skip 4 * 4096          /* 4 x 512 x 2 MiB = 4 GiB */

    .section .data.gdt, "aw"
    .balign 16
    .globl gdt, gdt_ptr
gdt:
    .quad 0                         /* 0x00 null */
    .quad 0x00af9a000000ffff        /* 0x08 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff        /* 0x10 data, DPL 0 */
    .quad 0, 0                      /* 0x18 TSS (16 bytes), filled by traps.cpp */
gdt_end:
gdt_ptr:
    .word gdt_end - gdt - 1
    .quad gdt

/* ---- 32-bit entry --------------------------------------------------------------------------- */
    .section .text.boot, "ax"
    .code32
    .globl pvh_start32
    .type pvh_start32, @function
pvh_start32:
    cli
    cld
    /* 1. zero .bss (rep stosb uses %edi, %ecx, %eax; %ebx survives) */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl %ebx, %esi                 /* start info, kept in %esi from here on */

    /* 2. early page tables: PML4[0] -> PDPT, PDPT[0..3] -> PD[0..3], PD entries 2 MiB RWX */
    movl $early_pdpt + 3, early_pml4
    movl $early_pd + 3, early_pdpt
    movl $early_pd + 4096 + 3, early_pdpt + 8
    movl $early_pd + 8192 + 3, early_pdpt + 16
    movl $early_pd + 12288 + 3, early_pdpt + 24
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax                 /* present, writable, 2 MiB page */
    movl %eax, early_pd(,%ecx,8)
    movl %ecx, %eax
    shrl $11, %eax                  /* bits 32+ of the address: (i << 21) >> 32 */
    movl %eax, early_pd+4(,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jb 1b

    /* 3. CR4: PAE | OSFXSR | OSXMMEXCPT; CR3; EFER: LME (| NXE when CPUID says NX) */
    movl %cr4, %eax
    orl $(0x20 | 0x200 | 0x400), %eax
    movl %eax, %cr4
    movl $early_pml4, %eax
    movl %eax, %cr3
    movl $0x80000001, %eax
    cpuid
    movl $0x100, %edi               /* EFER.LME */
    testl $(1 << 20), %edx
    jz 2f
    orl $0x800, %edi                /* EFER.NXE */
2:  movl $0xc0000080, %ecx
    rdmsr
    orl %edi, %eax
    wrmsr
    /* CR0: PG | WP | NE | MP | PE, EM and TS clear */
    movl %cr0, %eax
    andl $~(0x4 | 0x8), %eax
    orl $(0x80000000 | 0x10000 | 0x20 | 0x2 | 0x1), %eax
    movl %eax, %cr0

    /* 4. 64-bit code */
    lgdt gdt_ptr
    ljmp $0x08, $long_entry

    .code64
long_entry:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorl %eax, %eax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    movl %esi, %edi                 /* kernel_main(start info physical address) */
    call kernel_main
3:  cli
    hlt
    jmp 3b
    .size pvh_start32, . - pvh_start32

/* ---- exception and interrupt stubs ----------------------------------------------------------
 * Every vector enters with the same frame: the stub pushes a 0 error code where the CPU pushes
 * none, then the vector number, then trap_common saves the general registers and calls
 * trap_entry(struct TrapFrame*) (traps.cpp) with the FPU/SSE state saved (fxsave), so handlers
 * compiled with SSE cannot disturb the interrupted code. */
    .text
    .altmacro
    .macro TRAP_NOERR vec
    .balign 16
trap_stub_\vec:
    pushq $0
    pushq $\vec
    jmp trap_common
    .endm
    .macro TRAP_ERR vec
    .balign 16
trap_stub_\vec:
    pushq $\vec
    jmp trap_common
    .endm

    .irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    TRAP_NOERR \v
    .endr
    .irp v, 8,10,11,12,13,14,17,21,29,30
    TRAP_ERR \v
    .endr
    .set v, 32
    .rept 224
    TRAP_NOERR %v
    .set v, v + 1
    .endr

trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi                 /* struct TrapFrame* */
    movq %rsp, %rbx                 /* callee-saved: the frame, across the call */
    subq $512, %rsp
    andq $-16, %rsp
    fxsave (%rsp)
    cld
    call trap_entry
    fxrstor (%rsp)
    movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                  /* vector, error code */
    iretq

/* The stubs' addresses, by vector, for the IDT. */
    .section .rodata.trap_stubs, "a"
    .balign 8
    .globl trap_stubs
trap_stubs:
    .macro STUB_ADDR vec
    .quad trap_stub_\vec
    .endm
    .set v, 0
    .rept 256
    STUB_ADDR %v
    .set v, v + 1
    .endr
