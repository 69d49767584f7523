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
        SNIP s_flags
        SNIP s_popf_tf
        SNIP s_popfd
        SNIP s_iret_if
        SNIP s_int60

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
; CLI/STI under VME: the FLAGS images (PUSHF) after each.
s_flags:
        cli
        pushf
        pop ax
        sti
        pushf
        pop bx
        hlt
s_flags_end:
s_popf_tf:
        push strict word 0x0100                 ; TF = 1
        popf
        hlt
s_popf_tf_end:
s_popfd:
        o32 push strict dword 0x00000202
        popfd
        hlt
s_popfd_end:
s_iret_if:
        push strict word 0x0200                 ; FLAGS: IF = 1
        push strict word 0x0700                 ; CS
        push strict word s_iret_if_hlt - s_iret_if
        iret
s_iret_if_hlt:
        hlt
s_iret_if_end:
; INT 60h; the kernel points vector 60h of the 8086 vector table (linear
; 180h) at s_int60_handler. The handler records the frame the CPU built
; (DX = FLAGS image, SI = IP, DI = CS) and its own FLAGS (CX), then IRETs.
s_int60:
        mov ax, 0x1111
        int 0x60
        hlt
global s_int60_handler
s_int60_handler:
        mov bp, sp
        mov dx, [bp+4]
        mov si, [bp+0]
        mov di, [bp+2]
        pushf
        pop cx
        iret
s_int60_end:

section .note.GNU-stack noalloc noexec nowrite progbits
