/* Kithara runtime: marks the library's public API.  The libraries are
 * built with hidden visibility: only what is marked KITHARA_API is
 * exported, so the runtime's internals are not part of its ABI. */
#ifndef __KITHARA_EXPORT_H__
#define __KITHARA_EXPORT_H__

#if defined(__GNUC__)
#define KITHARA_API __attribute__ ((visibility ("default"))) extern
#else
#define KITHARA_API extern
#endif

#endif /* __KITHARA_EXPORT_H__ */
