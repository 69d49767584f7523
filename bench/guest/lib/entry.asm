; Entry and interrupt stubs of the bench guest (Multiboot v1, spec 0.6.96
; 3.1: the header is in the first 8 KiB of the file; flags 0 and 1 only, an
; ELF image). At entry EAX = 0x2BADB002, EBX = the information structure,
; flat 32-bit CS/DS/SS, paging off, IF = 0 (3.2).
bits 32

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00000003
KERNEL_CS equ 0x08
KERNEL_DS equ 0x10
USER_CS equ 0x18 | 3
USER_DS equ 0x20 | 3

section .multiboot
align 4
        dd MB_MAGIC
        dd MB_FLAGS
        dd -(MB_MAGIC + MB_FLAGS)

section .bss
align 16
boot_stack:     resb 16384
boot_stack_top:
global ring3_stack_top
ring3_stack:    resb 8192
ring3_stack_top:

section .data
global int_count, int_sum
int_count:      dd 0
int_sum:        dd 0
ring3_saved_esp: dd 0

section .text
extern guest_main
global _start
_start:
        mov esp, boot_stack_top
        push ebx                ; multiboot information (physical address)
        push eax                ; magic
        call guest_main         ; never returns
.hang:  cli
        hlt
        jmp .hang

; ---- unexpected exceptions 0..31: report and stop -------------------------
; Vectors with an error code (SDM Vol. 3A, table 6-1: 8, 10-14, 17, 21) do
; not push a dummy one. The frame reaches fatal_trap(vector, error, eip).
extern fatal_trap
%macro FATAL_STUB 1
fatal_stub_%1:
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21
%else
        push 0
%endif
        push %1
        jmp fatal_common
%endmacro
%assign v 0
%rep 32
FATAL_STUB v
%assign v v+1
%endrep

fatal_common:
        mov ax, KERNEL_DS
        mov ds, ax
        mov es, ax
        call fatal_trap         ; (vector, error, eip) on the stack; no return

section .rodata
global fatal_stubs
align 4
fatal_stubs:
%assign v 0
%rep 32
        dd fatal_stub_ %+ v
%assign v v+1
%endrep

section .text
; ---- INT 0x80: the int/iret sections' handler ------------------------------
; Counts the call and adds EAX; DS may be the ring-3 data segment (flat,
; DPL 3, usable at CPL 0).
global isr_count
isr_count:
        inc dword [int_count]
        add [int_sum], eax
        iretd

; uint32_t int_loop_ring0(uint32_t n): INT 0x80 n times with EAX = n..1.
global int_loop_ring0
int_loop_ring0:
        mov ecx, [esp+4]
        test ecx, ecx
        jz .done
.loop:  mov eax, ecx
        int 0x80
        dec ecx
        jnz .loop
.done:  ret

; void int_loop_ring3(uint32_t n): the same loop in ring 3 (IRET to the
; ring-3 code and stack); the ring-3 code ends with INT 0x81, whose handler
; (isr_ring3_return) resumes here on the kernel stack.
global int_loop_ring3
int_loop_ring3:
        push ebp
        push ebx
        push esi
        push edi
        mov [ring3_saved_esp], esp
        mov ecx, [esp+20]
        mov ax, USER_DS
        mov ds, ax
        mov es, ax
        push dword USER_DS
        push dword ring3_stack_top
        push dword 0x2          ; EFLAGS: IF = 0, IOPL 0
        push dword USER_CS
        push dword ring3_code
        iretd

ring3_code:                     ; CPL 3
        test ecx, ecx
        jz .out
.loop:  mov eax, ecx
        int 0x80
        dec ecx
        jnz .loop
.out:   int 0x81

global isr_ring3_return
isr_ring3_return:               ; CPL 0 on the TSS stack; SS = KERNEL_DS
        mov ax, KERNEL_DS
        mov ds, ax
        mov es, ax
        mov esp, [ring3_saved_esp]
        pop edi
        pop esi
        pop ebx
        pop ebp
        ret

; ---- #PF: the page-fault section's handler ----------------------------------
; Calls pf_handler(cr2, error) (system.c), which maps the page; returning
; restarts the faulting instruction (SDM Vol. 3A, 6.5: #PF is a fault).
extern pf_handler
global isr_page_fault
isr_page_fault:
        pushad
        mov eax, cr2
        push dword [esp+32]     ; error code
        push eax
        call pf_handler
        add esp, 8
        popad
        add esp, 4              ; error code
        iretd

section .note.GNU-stack noalloc noexec nowrite progbits
