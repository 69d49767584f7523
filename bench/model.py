#!/usr/bin/env python3
"""Model of bench/realmode_int.asm's kernels in Python.

Prints, as NASM `equ` lines, the results each kernel must produce; the ROM
compares its own results with them (and reports the first mismatch). Run it
after changing a kernel's inputs and paste the lines into the .asm. The same
constants were confirmed by the ROM passing under qemu-system-i386.
"""
M32=0xFFFFFFFF
class Lcg:
    def __init__(s, seed): s.x=seed
    def next(s):
        s.x=(s.x*1103515245+12345)&M32; return s.x
def rol32(v,n): return ((v<<n)|(v>>(32-n)))&M32
# A: fib(90) via add/adc
a,b=0,1
for _ in range(90): a,b=b,(a+b)&((1<<64)-1)
print("FIB_LO equ 0x%08X"%(a&M32)); print("FIB_HI equ 0x%08X"%(a>>32))
# B: gcd sum
g=Lcg(0x12345678); s=0
for _ in range(64):
    u=g.next()|1; v=g.next()|1
    while v: u,v=v,u%v
    s=(s+u)&M32
print("GCD_SUM equ 0x%08X"%s)
# C: isqrt sum
g=Lcg(0xCAFEBABE); s=0
for _ in range(32):
    n=g.next()>>2
    x=n; y=(x+1)>>1
    while y<x: x=y; y=(x+n//x)>>1
    assert x*x<=n<(x+1)*(x+1)
    s=(s+x)&M32
print("ISQRT_SUM equ 0x%08X"%s)
# D: 16-bit hash
h=0
for i in range(1,513): h=(h*31+i)&0xFFFF
print("HASH16 equ 0x%04X"%h)
# E: signed 16-bit idiv
s=0
for i in range(1,257):
    a=i*37-5000
    q=abs(a)//7*(1 if a>=0 else -1); r=a-q*7
    s=(s+q+r)&0xFFFF
print("IDIV_SUM equ 0x%04X"%s)
# CRC buffer: 2048 bytes from LCG seed 1, byte = x>>16
g=Lcg(1); buf=bytes((g.next()>>16)&0xFF for _ in range(2048))
import zlib
print("CRC_EXPECT equ 0x%08X"%zlib.crc32(buf))
# sieve
N=8192; sv=[1]*N; sv[0]=sv[1]=0
for p in range(2,N):
    if p*p>=N: break
    if sv[p]:
        for m in range(p*p,N,p): sv[m]=0
print("SIEVE_COUNT equ %d"%sum(sv))
# sort: 512 signed words from LCG seed 7, word = x>>16
g=Lcg(7); arr=[]
for _ in range(512):
    w=(g.next()>>16)&0xFFFF
    arr.append(w-0x10000 if w&0x8000 else w)
arr.sort(); h=0
for w in arr: h=rol32(h,5)^(w&0xFFFF)
print("SORT_HASH equ 0x%08X"%h)
print("FIRST_ZERO equ %d"%buf.index(0))
