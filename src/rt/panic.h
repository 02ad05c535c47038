// unikit runtime: fatal errors.
//
// uk_panic() prints one line "PANIC at FILE:LINE: MSG" on the console and ends the unikernel with
// uk_abort() (spt/hvt exit status UK_EXIT_ABORT = 112). Every runtime failure that cannot be
// returned as a value ends here: operator new out of memory, stack smashing, pure virtual call,
// abort(), failed assert(), libstdc++ "throws" (the image has no exceptions).
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

__attribute__((noreturn, cold)) void uk_panic(const char* file, int line, const char* msg);

#ifdef __cplusplus
}
#endif

#define UK_PANIC(msg) uk_panic(__FILE__, __LINE__, (msg))
