; tx86 demo ROM: the firmware tx86 runs when it is given no image.
;
; A 64 KiB PC firmware image (nasm -f bin). There is no BIOS underneath: this
; ROM is the first code the CPU runs. From the reset vector (F000:FFF0, real
; mode) it sets up a stack and segments, initialises COM1 (16550 UART at
; 0x3F8, 115200 baud 8N1, FIFOs on), prints a banner, then computes and
; prints an ASCII Mandelbrot set (32-bit fixed-point arithmetic through
; operand-size prefixes), its CRC-32 and iteration sum, and a prime sieve.
; It ends with CLI; HLT. Progress goes to the POST code port 0x80.
;
; Everything printed is a pure function of the code, so the serial output is
; fixed: guests/demo/expected_output.txt holds it byte for byte.
;
; Memory map used (all in the first 640 KiB of RAM):
;   0000:0500 .. 0000:05FF   variables (DS = 0)
;   0000:0600 .. 0000:7BFF   stack (SS:SP = 0000:7C00, grows down)
;   1000:0000 ..             Mandelbrot picture buffer (ES = 1000h)
;   2000:0000 ..             sieve bytes (ES = 2000h)

        bits 16
        cpu 386
        org 0                           ; CS = F000h after the reset jump

; --- constants -----------------------------------------------------------
COM1            equ 0x3F8
UART_THR        equ COM1 + 0            ; transmit holding (DLAB = 0)
UART_DLL        equ COM1 + 0            ; divisor latch low (DLAB = 1)
UART_IER        equ COM1 + 1            ; interrupt enable (DLAB = 0)
UART_DLM        equ COM1 + 1            ; divisor latch high (DLAB = 1)
UART_FCR        equ COM1 + 2            ; FIFO control (write)
UART_LCR        equ COM1 + 3            ; line control
UART_MCR        equ COM1 + 4            ; modem control
UART_LSR        equ COM1 + 5            ; line status
LSR_THRE        equ 0x20                ; transmit holding register empty
LSR_TEMT        equ 0x40                ; transmitter empty (THR/FIFO and shift register)

POST_PORT       equ 0x80

STACK_TOP       equ 0x7C00
VAR_ITER_SUM    equ 0x0500              ; dword: sum of all iteration counts
VAR_CRC         equ 0x0504              ; dword: running CRC-32
pic_off         equ 0x0508              ; word: write offset in the picture buffer
PIC_SEG         equ 0x1000
SIEVE_SEG       equ 0x2000

; Mandelbrot view: 72 x 24 characters, Q12 fixed point (1.0 = 4096).
; Real axis -2.2 .. +0.66, imaginary axis -1.15 .. +1.15 (symmetric). A
; character cell is about twice as tall as wide, hence the steps 0.04 and 0.1.
COLS            equ 72
ROWS            equ 24
FRAC_BITS       equ 12
ONE             equ 1 << FRAC_BITS
X_MIN           equ -9011               ; -2.2 in Q12
X_STEP          equ 165                 ; ~0.04 in Q12
Y_STEP          equ 410                 ; ~0.1 in Q12
Y_MIN           equ -(ROWS - 1) * Y_STEP // 2  ; row centres symmetric about 0
MAX_ITER        equ 48
ESCAPE          equ 4 * ONE             ; |z|^2 > 4 means the point escapes
LINE_BYTES      equ COLS + 2            ; picture line plus CR LF

SIEVE_LIMIT     equ 10000               ; primes below this are counted
SIEVE_SHOWN     equ 100                 ; primes below this are listed

; --- entry ----------------------------------------------------------------
start:
        cli
        cld
        mov al, 0x01
        out POST_PORT, al               ; POST 01: reset vector reached

        ; Real-mode stack and data segments in low RAM. SS:SP is loaded as a
        ; pair (MOV SS inhibits interrupts for one instruction).
        xor ax, ax
        mov ss, ax
        mov sp, STACK_TOP
        mov ds, ax
        mov es, ax
        mov al, 0x02
        out POST_PORT, al               ; POST 02: stack and segments ready

        call uart_init
        mov al, 0x03
        out POST_PORT, al               ; POST 03: COM1 initialised

        mov si, msg_banner
        call puts
        mov al, 0x04
        out POST_PORT, al               ; POST 04: banner printed

        call mandel_render              ; fills the buffer at PIC_SEG:0
        mov al, 0x05
        out POST_PORT, al               ; POST 05: picture computed

        call mandel_print               ; prints it, computing its CRC-32
        mov si, msg_crc
        call puts
        mov eax, [VAR_CRC]
        call put_hex32
        mov si, msg_iters
        call puts
        mov eax, [VAR_ITER_SUM]
        call put_dec32
        call put_crlf
        mov al, 0x06
        out POST_PORT, al               ; POST 06: picture and checksum printed

        call sieve_run
        mov al, 0x07
        out POST_PORT, al               ; POST 07: primes printed

        mov si, msg_done
        call puts
        call uart_drain                 ; the last bytes are on the wire
        mov al, 0x08
        out POST_PORT, al               ; POST 08: done

        ; Nothing can wake the CPU with IF = 0: tx86 stops here. The jump
        ; covers an NMI, which HLT does not block.
.halt:  cli
        hlt
        jmp .halt

; --- serial port ----------------------------------------------------------

; uart_init: COM1 to 115200 baud (divisor 1 from the 1.8432 MHz clock), 8 data
; bits, no parity, 1 stop bit, FIFOs enabled and cleared, no interrupts.
; Clobbers AX, DX.
uart_init:
        mov dx, UART_IER
        xor al, al
        out dx, al                      ; no UART interrupts: we poll
        mov dx, UART_LCR
        mov al, 0x80
        out dx, al                      ; DLAB = 1 to reach the divisor latch
        mov dx, UART_DLL
        mov al, 1
        out dx, al                      ; divisor 1 => 115200 baud
        mov dx, UART_DLM
        xor al, al
        out dx, al
        mov dx, UART_LCR
        mov al, 0x03
        out dx, al                      ; DLAB = 0, 8N1
        mov dx, UART_FCR
        mov al, 0xC7
        out dx, al                      ; FIFOs on, both cleared, 14-byte trigger
        mov dx, UART_MCR
        mov al, 0x03
        out dx, al                      ; DTR and RTS asserted
        ret

; putc: transmits AL on COM1 once the transmit holding register is empty.
; The poll gives up after 2^20 reads (about 30 ms of guest time at 100 MIPS,
; over 300 character times) so that a UART that never reports THRE cannot
; hang the ROM; an unclaimed port reads 0xFF, which has THRE set anyway.
; Preserves all registers.
putc:
        push dx
        push ecx
        push ax
        mov dx, UART_LSR
        mov ecx, 1 << 20
.wait:  in al, dx
        test al, LSR_THRE
        jnz .ready
        dec ecx
        jnz .wait
.ready: pop ax
        mov dx, UART_THR
        out dx, al
        pop ecx
        pop dx
        ret

; uart_drain: waits until the transmitter is empty (LSR.TEMT: FIFO and shift
; register), so that everything written has left the UART before the CPU
; halts; an emulator that stops at HLT (tx86 --exit-on-halt) then has the
; whole output. Same 2^20-poll limit as putc. Preserves all registers.
uart_drain:
        push dx
        push ecx
        push ax
        mov dx, UART_LSR
        mov ecx, 1 << 20
.wait:  in al, dx
        test al, LSR_TEMT
        jnz .empty
        dec ecx
        jnz .wait
.empty: pop ax
        pop ecx
        pop dx
        ret

; puts: prints the NUL-terminated string at CS:SI (strings live in the ROM,
; so LODSB takes a CS override). Advances SI past the NUL.
puts:
        push ax
.next:  cs lodsb
        test al, al
        jz .end
        call putc
        jmp .next
.end:   pop ax
        ret

put_crlf:
        push ax
        mov al, 13
        call putc
        mov al, 10
        call putc
        pop ax
        ret

; put_hex32: prints EAX as 8 upper-case hex digits. Rotating left by 4 brings
; the next nibble to the bottom each time.
put_hex32:
        push eax
        push ebx
        push cx
        mov ebx, eax
        mov cx, 8
.digit: rol ebx, 4
        mov al, bl
        and al, 0x0F
        add al, '0'
        cmp al, '9'
        jbe .out
        add al, 'A' - '9' - 1
.out:   call putc
        loop .digit
        pop cx
        pop ebx
        pop eax
        ret

; put_dec32: prints EAX as an unsigned decimal number. Digits come out of
; 32-bit DIV (EDX:EAX / 10) least significant first, so they go through the
; stack to be printed in order.
put_dec32:
        push eax
        push ebx
        push cx
        push edx
        mov ebx, 10
        xor cx, cx
.divide:
        xor edx, edx
        div ebx
        push dx                         ; remainder 0..9
        inc cx
        test eax, eax
        jnz .divide
.print: pop ax
        add al, '0'
        call putc
        loop .print
        pop edx
        pop cx
        pop ebx
        pop eax
        ret

; --- Mandelbrot -------------------------------------------------------------

; mandel_render: for each character cell, iterates z = z^2 + c in Q12 fixed
; point until |z|^2 > 4 or MAX_ITER, and stores a character for the count in
; the picture buffer (ROWS lines of COLS characters plus CR LF). Adds every
; count to VAR_ITER_SUM.
;
; Register use in the inner loop (all 32-bit):
;   ESI = c.re, EDI = c.im, ECX = z.re, EBX = z.im, BP = iteration count,
;   EAX = z.re^2, EDX = z.im^2 and then |z|^2.
; With |z|^2 <= 4 before a step, |z| after it is < 6.5, so z.re^2 < 2^31:
; the products fit a signed 32-bit IMUL.
mandel_render:
        pushad
        push es
        mov ax, PIC_SEG
        mov es, ax
        mov dword [VAR_ITER_SUM], 0
        mov edi, Y_MIN                  ; c.im for row 0
        mov word [pic_off], 0
        mov dx, ROWS
.row:
        push dx
        mov esi, X_MIN                  ; c.re for column 0
        mov dx, COLS
.col:
        push dx
        xor ecx, ecx                    ; z = 0
        xor ebx, ebx
        xor bp, bp
.iter:
        ; zr2 = z.re^2, zi2 = z.im^2 (Q12)
        mov eax, ecx
        imul eax, eax
        sar eax, FRAC_BITS
        mov edx, ebx
        imul edx, edx
        sar edx, FRAC_BITS
        ; escape test: |z|^2 = zr2 + zi2 > 4
        add edx, eax
        cmp edx, ESCAPE
        jg .escaped
        ; z.im = 2 * z.re * z.im + c.im   (IMUL r32, r/m32, then SAR by 11)
        imul ebx, ecx
        sar ebx, FRAC_BITS - 1
        add ebx, edi
        ; z.re = zr2 - zi2 + c.re = 2 * zr2 + c.re - |z|^2. The LEA uses a
        ; 32-bit scaled-index address (address-size prefix in real mode).
        lea ecx, [esi + eax * 2]
        sub ecx, edx
        inc bp
        cmp bp, MAX_ITER
        jb .iter
.escaped:
        ; count the iterations, then pick a character: points in the set are
        ; '@', the rest by how fast they escaped.
        movzx eax, bp
        add [VAR_ITER_SUM], eax
        mov al, '@'
        cmp bp, MAX_ITER
        jae .store
        mov bx, bp
        shr bx, 2                       ; 0..11 for counts 0..47
        mov al, [cs:palette + bx]
.store:
        mov bx, [pic_off]
        mov [es:bx], al
        inc word [pic_off]
        add esi, X_STEP
        pop dx
        dec dx
        jnz .col
        ; end of line: CR LF
        mov bx, [pic_off]
        mov word [es:bx], 0x0A0D
        add word [pic_off], 2
        add edi, Y_STEP
        pop dx
        dec dx
        jnz .row
        pop es
        popad
        ret

; mandel_print: sends the picture buffer to COM1 and leaves its CRC-32
; (IEEE 802.3, reflected, as zlib's crc32()) in VAR_CRC.
mandel_print:
        pusha
        push ds
        mov dword [VAR_CRC], 0xFFFFFFFF
        mov ax, PIC_SEG
        mov ds, ax                      ; DS:SI walks the picture
        xor si, si
        mov cx, ROWS * LINE_BYTES
.byte:  lodsb
        call putc
        push ds
        push word 0
        pop ds                          ; DS = 0 for the variables
        call crc32_byte
        pop ds
        loop .byte
        pop ds
        not dword [VAR_CRC]             ; final XOR
        popa
        ret

; crc32_byte: folds AL into the CRC at VAR_CRC (DS must be 0), bit by bit:
; shift right, XOR the polynomial 0xEDB88320 when a one falls out.
crc32_byte:
        push eax
        push cx
        push edx
        movzx edx, al
        mov eax, [VAR_CRC]
        xor eax, edx
        mov cx, 8
.bit:   shr eax, 1
        jnc .no_xor
        xor eax, 0xEDB88320
.no_xor:
        loop .bit
        mov [VAR_CRC], eax
        pop edx
        pop cx
        pop eax
        ret

; --- prime sieve -------------------------------------------------------------

; sieve_run: sieve of Eratosthenes over [0, SIEVE_LIMIT) in one byte per
; number at SIEVE_SEG:0 (1 = prime). Prints the primes below SIEVE_SHOWN,
; then how many there are below SIEVE_LIMIT.
sieve_run:
        pusha
        push es
        mov ax, SIEVE_SEG
        mov es, ax
        ; all candidates prime, then strike 0 and 1
        xor di, di
        mov cx, SIEVE_LIMIT / 2
        mov ax, 0x0101
        rep stosw
        mov word [es:0], 0
        ; for p = 2 while p * p < limit: if prime, strike p*p, p*p+p, ...
        mov bx, 2
.outer: mov ax, bx
        mul bx                          ; DX:AX = p * p (fits in AX here)
        cmp ax, SIEVE_LIMIT
        jae .sieved
        cmp byte [es:bx], 0
        je .next_p
        mov di, ax
.strike:
        mov byte [es:di], 0
        add di, bx
        cmp di, SIEVE_LIMIT
        jb .strike
.next_p:
        inc bx
        jmp .outer
.sieved:
        ; list the small primes
        mov si, msg_primes
        call puts
        mov bx, 2
.list:  cmp byte [es:bx], 0
        je .skip
        mov al, ' '
        call putc
        movzx eax, bx
        call put_dec32
.skip:  inc bx
        cmp bx, SIEVE_SHOWN
        jb .list
        call put_crlf
        ; count the primes below the limit: add up the sieve bytes (0 or 1)
        xor di, di
        xor eax, eax
        mov cx, SIEVE_LIMIT
.count: movzx dx, byte [es:di]
        add ax, dx
        inc di
        loop .count
        mov si, msg_count1
        call puts
        call put_dec32
        mov si, msg_count2
        call puts
        pop es
        popa
        ret

; --- read-only data ------------------------------------------------------------

palette:        db " .,-:;=+*#%&"          ; 12 shades, fastest escape first

msg_banner:     db "tx86 demo ROM", 13, 10
                db "version 0.1.0 - 16/32-bit real mode, no BIOS, COM1 115200 8N1", 13, 10
                db 13, 10
                db "Mandelbrot set, 72x24, Q12 fixed point, 48 iterations:", 13, 10, 0
msg_crc:        db "picture crc32=", 0
msg_iters:      db " iterations=", 0
msg_primes:     db "primes below 100:", 0
msg_count1:     db "primes below 10000: ", 0
msg_count2:     db 13, 10, 0
msg_done:       db "done.", 13, 10, 0

; --- reset vector and the top of the ROM --------------------------------------
        times 0xFFF0 - ($ - $$) db 0xFF ; unused ROM reads as erased flash

reset_vector:                           ; F000:FFF0 = FFFFFFF0 at power-on
        jmp 0xF000:start
        db "11/21/26"                   ; BIOS date (F000:FFF5), by PC convention
        db 0                            ; (F000:FFFD)
        db 0xFC                         ; model byte (F000:FFFE): PC/AT
        db 0                            ; pad to 64 KiB
