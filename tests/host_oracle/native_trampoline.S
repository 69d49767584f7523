/* Switches from the helper's C world to a guest register state, runs the
 * sequence at ORACLE_CODE_ADDR, and comes back when the sequence jumps to
 * oracle_exit. i386 only (built with -m32).
 *
 * void oracle_run(struct OracleContext* ctx);
 *   ctx+0   in gpr[8]      ctx+32 in eflags   ctx+36 entry address
 *   ctx+40  out gpr[8]     ctx+72 out eflags
 *
 * oracle_exit has no free register and must not touch the guest stack (it is
 * compared), so it addresses fixed cells: that is why the state lives in the
 * .bss cells below rather than in registers.
 */
        .intel_syntax noprefix

        .bss
        .align 4
oracle_ctx:      .long 0
oracle_host_esp: .long 0
oracle_entry:    .long 0
oracle_eax:      .long 0

        .text
        .globl oracle_run
        .type oracle_run, @function
oracle_run:
        push ebp
        push ebx
        push esi
        push edi
        mov eax, [esp + 20]
        mov [oracle_ctx], eax
        mov [oracle_host_esp], esp
        mov edx, [eax + 36]
        mov [oracle_entry], edx
        push dword ptr [eax + 32]
        popfd
        mov ecx, [eax + 4]
        mov edx, [eax + 8]
        mov ebx, [eax + 12]
        mov esp, [eax + 16]
        mov ebp, [eax + 20]
        mov esi, [eax + 24]
        mov edi, [eax + 28]
        mov eax, [eax + 0]
        jmp dword ptr [oracle_entry]

        .globl oracle_exit
        .type oracle_exit, @function
oracle_exit:
        mov [oracle_eax], eax
        mov eax, [oracle_ctx]
        mov [eax + 44], ecx
        mov [eax + 48], edx
        mov [eax + 52], ebx
        mov [eax + 56], esp
        mov [eax + 60], ebp
        mov [eax + 64], esi
        mov [eax + 68], edi
        mov esp, [oracle_host_esp]
        pushfd
        pop dword ptr [eax + 72]
        mov ecx, [oracle_eax]
        mov [eax + 40], ecx
        push 0x202              /* back to a plain EFLAGS (NT, ID, DF clear) */
        popfd
        pop edi
        pop esi
        pop ebx
        pop ebp
        ret

        .section .note.GNU-stack,"",@progbits
