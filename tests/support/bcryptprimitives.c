/* A stand-in for Windows' bcryptprimitives.dll in 32-bit Wine prefixes (tests only).
 *
 * Rust's standard library (1.78 and later) takes its random bytes from ProcessPrng in
 * bcryptprimitives.dll, which every supported Windows has; Wine 8.0 (Debian 12) does not
 * ship that DLL, so a program built with rustup's current i686-pc-windows-gnu toolchain
 * cannot start there. The test harness builds this file with i686-w64-mingw32-gcc into the
 * template prefix's syswow64, where it answers ProcessPrng from RtlGenRandom
 * (advapi32!SystemFunction036), which Wine has. Nothing of it reaches a package.
 * https://learn.microsoft.com/windows/win32/seccng/processprng
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
