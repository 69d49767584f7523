; tx86 benchmark ROM: a real-mode integer workload (nasm -f bin, 64 KiB).
;
; Runs from the reset vector with no BIOS. One pass runs five kernels that
; stand for typical integer code; the pass is repeated ITERATIONS times:
;   arith   16- and 32-bit arithmetic: 64-bit Fibonacci with ADD/ADC, GCDs
;           with 32-bit DIV, integer square roots (Newton), a 16-bit MUL
;           hash, signed 16-bit IDIV
;   crc32   bitwise CRC-32 over a 2 KiB buffer
;   sieve   sieve of Eratosthenes below 8192 (REP STOSD to initialise)
;   sort    shell sort of 512 pseudo-random signed words
;   string  copy and compare 2 KiB: byte loops, REP MOVSB/MOVSD, REPE CMPSB,
;           REPNE SCASB
; Every kernel checks its result against a constant (bench/model.py derives
; them), so a run that completes also says the engine computed correctly.
;
; Parameter block (the harness patches it; bench/bench_rom.h names it):
;   ROM offset 0xFFE0: 8 bytes "TX86ITER"
;   ROM offset 0xFFE8: dword ITERATIONS (number of passes; 0 runs none)
; Results, in RAM when the ROM stops:
;   0000:0500 dword "DONE" (0x454E4F44) once finished
;   0000:0504 dword status: 0 = every check passed, else the failed check's id
;   0000:0508 dword passes completed
; It then writes the status to the QEMU debug-exit port 0xF4 (QEMU exits
; with (status << 1) | 1) and stops with CLI; HLT.

        bits 16
        cpu 386
        org 0                           ; CS = F000h after the reset jump

; --- layout -----------------------------------------------------------------
STACK_TOP       equ 0x7C00
RES_MAGIC       equ 0x0500
RES_STATUS      equ 0x0504
RES_PASSES      equ 0x0508
PASSES_LEFT     equ 0x0510              ; dword
DONE_MAGIC      equ 0x454E4F44          ; "DONE" little-endian

BUF_SEG         equ 0x1000              ; CRC buffer, string source (2 KiB)
SIEVE_SEG       equ 0x2000              ; sieve bytes (8 KiB)
SORT_SEG        equ 0x3000              ; sort array (1 KiB)
DST_SEG         equ 0x4000              ; string destination (2 KiB)

BUF_BYTES       equ 2048
SIEVE_LIMIT     equ 8192
SORT_WORDS      equ 512

DEBUG_EXIT_PORT equ 0xF4

; --- expected results (python3 bench/model.py) -----------------------------
FIB_LO          equ 0xA1BA7878          ; fib(90) = 0x27F80DDAA1BA7878
FIB_HI          equ 0x27F80DDA
GCD_SUM         equ 0x00000060
ISQRT_SUM       equ 0x000A6399
HASH16          equ 0x2100
IDIV_SUM        equ 0xDCCE
CRC_EXPECT      equ 0x4463F4EC
SIEVE_COUNT     equ 1028
SORT_HASH       equ 0x1BCB7CAB
FIRST_ZERO      equ 187                  ; index of the buffer's first zero byte

; Check ids written to RES_STATUS when a result is wrong.
E_FIB           equ 1
E_GCD           equ 2
E_ISQRT         equ 3
E_HASH16        equ 4
E_IDIV          equ 5
E_CRC           equ 6
E_SIEVE         equ 7
E_SORT_ORDER    equ 8
E_SORT_HASH     equ 9
E_COPY_LOOP     equ 10
E_MOVSB         equ 11
E_MOVSD         equ 12
E_CMPSB_DIFF    equ 13
E_SCASB         equ 14

; fail ID: records the failed check and stops the run.
%macro fail_if_ne 1
        je %%ok
        mov byte [RES_STATUS], %1
        jmp finish
%%ok:
%endmacro

; --- entry ------------------------------------------------------------------
start:
        cli
        cld
        xor ax, ax
        mov ss, ax
        mov sp, STACK_TOP
        mov ds, ax
        mov es, ax
        xor eax, eax
        mov [RES_MAGIC], eax
        mov [RES_STATUS], eax
        mov [RES_PASSES], eax
        mov eax, [cs:iterations]
        mov [PASSES_LEFT], eax
        call fill_buffer
.pass:  cmp dword [PASSES_LEFT], 0
        je finish
        call k_arith
        call k_crc32
        call k_sieve
        call k_sort
        call k_string
        inc dword [RES_PASSES]
        dec dword [PASSES_LEFT]
        jmp .pass

; finish: publishes the results, tells QEMU's debug-exit device, halts.
; Reached with SP anywhere (a failing check jumps here from inside a kernel).
finish:
        xor ax, ax
        mov ds, ax
        mov dword [RES_MAGIC], DONE_MAGIC
        mov al, [RES_STATUS]
        out DEBUG_EXIT_PORT, al
.halt:  cli
        hlt
        jmp .halt

; lcg_next: EAX = x = x * 1103515245 + 12345 (mod 2^32), the state in EBP.
lcg_next:
        imul ebp, ebp, 1103515245
        add ebp, 12345
        mov eax, ebp
        ret

; fill_buffer: BUF_SEG:0 gets BUF_BYTES pseudo-random bytes (bits 16..23 of
; the LCG, seed 1). Done once; CRC and string kernels only read it.
fill_buffer:
        push es
        mov ax, BUF_SEG
        mov es, ax
        xor di, di
        mov ebp, 1
        mov cx, BUF_BYTES
.byte:  call lcg_next
        shr eax, 16
        stosb
        loop .byte
        pop es
        ret

; --- arith: 16- and 32-bit arithmetic ---------------------------------------
k_arith:
        ; fib(90) in EDX:EAX (a) and ECX:EBX (b) with 32-bit ADD/ADC pairs.
        xor eax, eax
        xor edx, edx
        mov ebx, 1
        xor ecx, ecx
        mov bp, 90
.fib:   mov esi, eax
        mov edi, edx                    ; old a
        mov eax, ebx
        mov edx, ecx                    ; a = b
        add ebx, esi
        adc ecx, edi                    ; b = old a + b
        dec bp
        jnz .fib
        cmp eax, FIB_LO
        fail_if_ne E_FIB
        cmp edx, FIB_HI
        fail_if_ne E_FIB

        ; Sum of gcd(u, v) over 64 pairs of odd pseudo-random dwords, by
        ; Euclid with 32-bit DIV (EDX:EAX / r32).
        mov ebp, 0x12345678
        xor esi, esi                    ; sum
        mov cx, 64
.gcd_pair:
        call lcg_next
        or eax, 1
        mov ebx, eax                    ; u
        call lcg_next
        or eax, 1
        mov edi, eax                    ; v
.euclid:
        mov eax, ebx
        xor edx, edx
        div edi                         ; EDX = u mod v
        mov ebx, edi
        mov edi, edx
        test edi, edi
        jnz .euclid
        add esi, ebx
        loop .gcd_pair
        cmp esi, GCD_SUM
        fail_if_ne E_GCD

        ; Sum of isqrt(n) for 32 pseudo-random 30-bit n, by Newton's method:
        ; x = n, y = (x + 1) / 2; while y < x: x = y, y = (x + n / x) / 2.
        mov ebp, 0xCAFEBABE
        xor esi, esi
        mov cx, 32
.sqrt_n:
        call lcg_next
        shr eax, 2
        mov edi, eax                    ; n
        mov ebx, eax                    ; x
        inc eax
        shr eax, 1                      ; y
.newton:
        cmp eax, ebx
        jae .sqrt_done
        mov ebx, eax                    ; x = y
        mov eax, edi
        xor edx, edx
        div ebx                         ; n / x
        add eax, ebx
        shr eax, 1
        jmp .newton
.sqrt_done:
        add esi, ebx
        loop .sqrt_n
        cmp esi, ISQRT_SUM
        fail_if_ne E_ISQRT

        ; 16-bit hash h = h * 31 + i for i = 1..512, with 16-bit MUL (DX:AX).
        xor ax, ax
        mov bx, 31
        mov cx, 1
.hash:  mul bx
        add ax, cx
        inc cx
        cmp cx, 512
        jbe .hash
        cmp ax, HASH16
        fail_if_ne E_HASH16

        ; Sum of quotient + remainder of (i * 37 - 5000) / 7, signed 16-bit
        ; (CWD; IDIV r16 truncates toward zero), i = 1..256.
        xor si, si
        mov bx, 7
        mov cx, 1
.idiv:  mov ax, cx
        imul ax, ax, 37
        sub ax, 5000
        cwd
        idiv bx
        add si, ax
        add si, dx
        inc cx
        cmp cx, 256
        jbe .idiv
        cmp si, IDIV_SUM
        fail_if_ne E_IDIV
        ret

; --- crc32: bitwise CRC-32 (IEEE, reflected) over the buffer -----------------
k_crc32:
        push ds
        mov ax, BUF_SEG
        mov ds, ax
        xor si, si
        mov edx, 0xFFFFFFFF
        mov cx, BUF_BYTES
.byte:  lodsb
        xor dl, al
        mov bl, 8
.bit:   shr edx, 1
        jnc .no_poly
        xor edx, 0xEDB88320
.no_poly:
        dec bl
        jnz .bit
        loop .byte
        not edx
        pop ds
        cmp edx, CRC_EXPECT
        fail_if_ne E_CRC
        ret

; --- sieve: primes below SIEVE_LIMIT, one byte per number -------------------
k_sieve:
        push es
        mov ax, SIEVE_SEG
        mov es, ax
        xor di, di
        mov eax, 0x01010101
        mov cx, SIEVE_LIMIT / 4
        rep stosd                       ; every number a candidate
        mov word [es:0], 0              ; 0 and 1 are not prime
        mov bx, 2
.outer: mov ax, bx
        mul bx
        cmp ax, SIEVE_LIMIT
        jae .count
        cmp byte [es:bx], 0
        je .next
        mov di, ax                      ; strike p*p, p*p + p, ...
.strike:
        mov byte [es:di], 0
        add di, bx
        cmp di, SIEVE_LIMIT
        jb .strike
.next:  inc bx
        jmp .outer
.count: xor si, si
        xor dx, dx
        mov cx, SIEVE_LIMIT
.add:   mov al, [es:si]
        cbw
        add dx, ax
        inc si
        loop .add
        pop es
        cmp dx, SIEVE_COUNT
        fail_if_ne E_SIEVE
        ret

; --- sort: shell sort (Ciura's gaps) of 512 signed words ---------------------
k_sort:
        push ds
        ; fresh array each pass, so every pass does the same work
        mov ax, SORT_SEG
        mov es, ax
        xor di, di
        mov ebp, 7
        mov cx, SORT_WORDS
.gen:   call lcg_next
        shr eax, 16
        stosw
        loop .gen
        mov ax, SORT_SEG
        mov ds, ax
        ; for each gap g (CX = 2g bytes, BX = -2g so that [BX + DI] is a[j-g]):
        ;   for i = g .. n-1: t = a[i]; j = i;
        ;     while j >= g and a[j-g] > t: a[j] = a[j-g]; j -= g
        ;     a[j] = t
        mov bp, gaps
.gap:   mov cx, [cs:bp]
        jcxz .sorted
        add cx, cx
        mov bx, cx
        neg bx
        mov si, cx                      ; SI = 2i
.insert:
        mov ax, [si]                    ; t
        mov di, si                      ; DI = 2j
.shift: cmp di, cx
        jb .place
        mov dx, [bx + di]               ; a[j-g]
        cmp dx, ax
        jle .place                      ; signed compare
        mov [di], dx
        add di, bx
        jmp .shift
.place: mov [di], ax
        add si, 2
        cmp si, SORT_WORDS * 2
        jb .insert
        add bp, 2
        jmp .gap
.sorted:
        ; check the order, and hash h = rol(h, 5) ^ a[i] over the result
        xor si, si
        xor edx, edx
        mov cx, SORT_WORDS - 1
.check: mov ax, [si]
        cmp ax, [si + 2]
        jg .bad_order
        rol edx, 5
        movzx eax, ax
        xor edx, eax
        add si, 2
        loop .check
        rol edx, 5
        movzx eax, word [si]
        xor edx, eax
        pop ds
        push ds
        pop es                          ; ES = DS = 0 again
        cmp edx, SORT_HASH
        fail_if_ne E_SORT_HASH
        ret
.bad_order:
        pop ds
        mov byte [RES_STATUS], E_SORT_ORDER
        jmp finish

gaps:   dw 301, 132, 57, 23, 10, 4, 1, 0

; --- string: copies and compares of the buffer -------------------------------
k_string:
        push ds
        push es
        mov ax, BUF_SEG
        mov ds, ax
        mov ax, DST_SEG
        mov es, ax

        ; byte-by-byte copy loop, then byte-by-byte compare loop
        xor si, si
        mov cx, BUF_BYTES
.copy:  mov al, [si]
        mov [es:si], al
        inc si
        loop .copy
        xor si, si
        mov cx, BUF_BYTES
.cmp:   mov al, [si]
        cmp al, [es:si]
        jne .bad_copy
        inc si
        loop .cmp

        ; clear the destination (REP STOSW), copy with REP MOVSB, REPE CMPSB
        xor di, di
        xor ax, ax
        mov cx, BUF_BYTES / 2
        rep stosw
        xor si, si
        xor di, di
        mov cx, BUF_BYTES
        rep movsb
        xor si, si
        xor di, di
        mov cx, BUF_BYTES
        repe cmpsb
        jne .bad_movsb

        ; again with REP MOVSD (operand-size prefix + REP)
        xor di, di
        xor eax, eax
        mov cx, BUF_BYTES / 4
        rep stosd
        xor si, si
        xor di, di
        mov cx, BUF_BYTES / 4
        rep movsd
        xor si, si
        xor di, di
        mov cx, BUF_BYTES
        repe cmpsb
        jne .bad_movsd

        ; change byte 1234 of the copy: REPE CMPSB must stop just after it
        not byte [es:1234]
        xor si, si
        xor di, di
        mov cx, BUF_BYTES
        repe cmpsb
        je .bad_diff
        cmp di, 1235
        jne .bad_diff
        not byte [es:1234]

        ; REPNE SCASB for the first zero byte of the copy
        xor al, al
        xor di, di
        mov cx, BUF_BYTES
        repne scasb
        jne .bad_scan
        cmp di, FIRST_ZERO + 1
        jne .bad_scan

        pop es
        pop ds
        ret
.bad_copy:
        mov al, E_COPY_LOOP
        jmp .fail
.bad_movsb:
        mov al, E_MOVSB
        jmp .fail
.bad_movsd:
        mov al, E_MOVSD
        jmp .fail
.bad_diff:
        mov al, E_CMPSB_DIFF
        jmp .fail
.bad_scan:
        mov al, E_SCASB
.fail:  xor bx, bx
        mov ds, bx
        mov [RES_STATUS], al
        jmp finish

; --- parameter block and reset vector ---------------------------------------
        times 0xFFE0 - ($ - $$) db 0xFF

param_block:
        db "TX86ITER"                   ; 0xFFE0: signature the harness checks
iterations:
        dd 1                            ; 0xFFE8: passes to run (patched)
        dd 0                            ; 0xFFEC: reserved

reset_vector:                           ; F000:FFF0
        jmp 0xF000:start
        times 0x10000 - ($ - $$) db 0
