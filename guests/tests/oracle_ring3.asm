; Entry to a ring-3 oracle sequence (oracle_ring3.c).
;   void r3_enter(const uint32_t *gpr, uint32_t eflags, uint32_t entry)
; Builds an inter-privilege IRET frame (SDM Vol. 3A, 6.12.1 figure 6-4 and
; Vol. 2 IRET: SS, ESP, EFLAGS, CS, EIP), loads the user data selector into
; DS/ES/FS/GS and the sequence's eight registers, and IRETs. Never returns:
; the sequence ends with an interrupt or exception that longjmps back.
bits 32

SEL_UCODE equ 0x18 | 3
SEL_UDATA equ 0x20 | 3

section .text
global r3_enter
r3_enter:
        mov esi, [esp+4]        ; gpr: EAX ECX EDX EBX ESP EBP ESI EDI
        mov ecx, [esp+8]        ; eflags
        mov edx, [esp+12]       ; entry
        push dword SEL_UDATA    ; SS
        push dword [esi+16]     ; ESP
        push ecx                ; EFLAGS
        push dword SEL_UCODE    ; CS
        push edx                ; EIP
        mov ax, SEL_UDATA
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov eax, [esi+0]
        mov ecx, [esi+4]
        mov edx, [esi+8]
        mov ebx, [esi+12]
        mov ebp, [esi+20]
        mov edi, [esi+28]
        mov esi, [esi+24]
        iretd

section .note.GNU-stack noalloc noexec nowrite progbits
