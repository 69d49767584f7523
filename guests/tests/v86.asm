; 16-bit code snippets that the v86 kernel copies to 0x7000 and runs in
; virtual-8086 mode (CS = 0x0700, IP = 0). Each ends in HLT, which is #GP(0)
; in V86 mode (CPL 3), so that the kernel sees where it stopped and the
; registers. Table `v86_snippets` lists [start, end) pairs, in the order of
; the enum in v86.c.
bits 16
section .rodata

global v86_snippets
v86_snippets:
%macro SNIP 1
        dd %1, %1 %+ _end
%endmacro
        SNIP s_cli
        SNIP s_sti
        SNIP s_pushf
        SNIP s_popf
        SNIP s_int
        SNIP s_iret
        SNIP s_in_ok
        SNIP s_out_denied
        SNIP s_in_word_straddle
        SNIP s_segment
        SNIP s_hlt

s_cli:  cli
        hlt
s_cli_end:
s_sti:  sti
        hlt
s_sti_end:
s_pushf:
        pushf
        pop ax
        hlt
s_pushf_end:
s_popf: push strict word 0x0200                ; IF = 1, IOPL = 0
        popf
        pushf
        pop bx
        hlt
s_popf_end:
s_int:  mov ax, 0x5678
        int 0x41
        hlt
s_int_end:
s_iret: push strict word 0x0002                ; FLAGS
        push strict word 0x0700                ; CS
        push strict word s_iret_hlt - s_iret   ; IP: the HLT below
        iret
s_iret_hlt:
        hlt
s_iret_end:
s_in_ok:
        in al, 0x84
        hlt
s_in_ok_end:
s_out_denied:
        out 0x85, al
        hlt
s_out_denied_end:
s_in_word_straddle:
        in ax, 0x84                     ; ports 0x84 (allowed) and 0x85 (denied)
        hlt
s_in_word_straddle_end:
s_segment:
        mov ax, 0x0500
        mov ds, ax
        mov ax, [0x10]                  ; physical 0x5010
        hlt
s_segment_end:
s_hlt:  hlt
s_hlt_end:

section .note.GNU-stack noalloc noexec nowrite progbits
