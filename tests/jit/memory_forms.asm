; tests/jit/memory_forms.asm: every inline memory, stack, shift, IMUL,
; SETcc/CMOVcc form in a loop over DS:0000..; sums into registers.
        bits 16
        cpu 686
        org 0
        mov cx, 300
        xor si, si
        mov ebp, 0x12345678
.loop:  mov [si], bp
        mov eax, [si]
        add [si+2], ax
        sub ax, [si+1]
        adc bx, [si]
        xor [si+4], bl
        or [bx+si+8], cx
        and word [si+6], 0xFF0F
        cmp [si+2], ax
        test [si+3], cl
        inc word [si]
        dec byte [si+1]
        neg word [si+4]
        not dword [si+8]
        movzx edx, byte [si+5]
        movsx edi, word [si+6]
        movsx dx, byte [si+1]
        lea di, [bx+si+0x1234]
        lea eax, [ebx+esi*4+0x10]
        xchg [si+10], dx
        xchg al, ah
        push word [si]
        push ecx
        push 0x1234
        push -5
        pop ax
        pop bx
        pop edx
        pop word [si+12]
        shl word [si], 3
        shr ax, 5
        sar dx, 1
        rol byte [si+2], 3
        ror ebp, 7
        shl edx, 31
        sar bl, 7
        shr byte [si+3], 1
        imul ax, [si], 37
        imul bx, cx
        imul edx, ebp, -3
        imul dx, [si+2]
        cmp ax, bx
        setl [si+14]
        setg dl
        sets al
        seto ah
        cmovge ax, [si+2]
        cmovb edx, ebp
        cmp dh, [si+1]
        cmovne bx, dx
        add ebp, edx
        mov [0x7000], ebp
        mov eax, [0x7000]
        mov al, [0x7001]
        mov [es:si+16], ax
        add si, 3
        dec cx
        jnz .loop
        hlt
