; Entry, exception stubs and the setjmp/longjmp pair of the guest test
; kernels. Multiboot v1 (spec 0.6.96, 3.1): the header sits in the first
; section, so within the first 8 KiB of the ELF file; flags 0 and 1 only (an
; ELF image, no address fields). At entry the loader has set EAX = 0x2BADB002,
; EBX = the information structure, flat 32-bit CS/DS/SS, paging off, IF = 0.
bits 32

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00000003
KERNEL_DS equ 0x10
KERNEL_CS equ 0x08

section .multiboot
align 4
        dd MB_MAGIC
        dd MB_FLAGS
        dd -(MB_MAGIC + MB_FLAGS)

section .bss
align 16
boot_stack:     resb 16384
global boot_stack_top
boot_stack_top:

section .text
extern runtime_start
global _start
_start:
        mov esp, boot_stack_top
        push ebx                ; multiboot information (physical address)
        push eax                ; magic
        call runtime_start      ; never returns
.hang:  cli
        hlt
        jmp .hang

; ---------------------------------------------------------------------------
; Interrupt stubs for vectors 0..255. Vectors with a CPU error code (SDM Vol.
; 3A, 6.13 and table 6-1: 8, 10-14, 17, 21) do not push a dummy one. The
; common part saves a `struct trap_frame` (lib/runtime.h) and calls
; trap_dispatch(frame); on return the (possibly edited) frame is resumed.
extern trap_dispatch
%macro STUB 1
stub_%1:
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21
%else
        push 0
%endif
        push %1
        jmp trap_common
%endmacro

%assign v 0
%rep 256
STUB v
%assign v v+1
%endrep

trap_common:
        pushad
        push ds
        push es
        push fs
        push gs
        mov ax, KERNEL_DS
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        cld
        push esp                ; struct trap_frame *
        call trap_dispatch
        add esp, 4
        pop gs
        pop fs
        pop es
        pop ds
        popad
        add esp, 8              ; vector, error code
        iretd

section .rodata
global trap_stubs
align 4
trap_stubs:
%assign v 0
%rep 256
        dd stub_ %+ v
%assign v v+1
%endrep

section .text
; int tx_setjmp(struct jmpbuf *b): saves callee-saved registers, the stack
; pointer, EFLAGS and the return address; returns 0 (and later the value
; given to tx_longjmp).
global tx_setjmp
tx_setjmp:
        mov eax, [esp+4]
        mov [eax+0], ebx
        mov [eax+4], esi
        mov [eax+8], edi
        mov [eax+12], ebp
        lea ecx, [esp+4]
        mov [eax+16], ecx
        mov ecx, [esp]
        mov [eax+20], ecx
        pushfd
        pop ecx
        mov [eax+24], ecx
        xor eax, eax
        ret

; void tx_longjmp(struct jmpbuf *b, int value): back to ring 0 on the kernel
; stack with the flat kernel segments, from wherever we are (an exception
; handler entered from any ring, possibly on the TSS stack).
global tx_longjmp
tx_longjmp:
        mov edx, [esp+4]
        mov eax, [esp+8]
        jmp KERNEL_CS:.flat
.flat:  mov cx, KERNEL_DS
        mov ss, cx
        mov esp, [edx+16]
        mov ds, cx
        mov es, cx
        mov fs, cx
        mov gs, cx
        push dword [edx+24]
        popfd
        mov ebx, [edx+0]
        mov esi, [edx+4]
        mov edi, [edx+8]
        mov ebp, [edx+12]
        jmp [edx+20]

section .note.GNU-stack noalloc noexec nowrite progbits
