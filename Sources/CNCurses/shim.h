// The only C in fanout: ncursesw with its wide-character API, and the few things Swift cannot
// reach directly (macros, globals, async-signal handlers).
#ifndef FANOUT_CNCURSES_SHIM_H
#define FANOUT_CNCURSES_SHIM_H

// SwiftPM drops pkg-config's -D flags: without these the wide API (cchar_t, wget_wch) vanishes.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncursesw/curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

static volatile sig_atomic_t fo_curses_active = 0;

static inline int fo_lines(void) { return LINES; }
static inline int fo_color_pairs(void) { return COLOR_PAIRS; }
static inline int fo_colors(void) { return COLORS; }
static inline int fo_cols(void) { return COLS; }
static inline WINDOW *fo_stdscr(void) { return stdscr; }
/// newterm on the process's own standard output and input.
static inline SCREEN *fo_newterm(void) { return newterm(NULL, stdout, stdin); }

static inline attr_t fo_attr_bold(void) { return A_BOLD; }
static inline attr_t fo_attr_dim(void) { return A_DIM; }
static inline attr_t fo_attr_reverse(void) { return A_REVERSE; }
static inline attr_t fo_attr_underline(void) { return A_UNDERLINE; }

static inline int fo_key_up(void) { return KEY_UP; }
static inline int fo_key_down(void) { return KEY_DOWN; }
static inline int fo_key_ppage(void) { return KEY_PPAGE; }
static inline int fo_key_npage(void) { return KEY_NPAGE; }
static inline int fo_key_btab(void) { return KEY_BTAB; }
static inline int fo_key_enter(void) { return KEY_ENTER; }
static inline int fo_key_resize(void) { return KEY_RESIZE; }
static inline int fo_key_backspace(void) { return KEY_BACKSPACE; }
static inline int fo_key_code_yes(void) { return KEY_CODE_YES; }

/// Draws one cell (a grapheme of up to 7 code points) with attributes and a colour pair.
static inline int fo_put(int y, int x, const wchar_t *text, attr_t attrs, short pair) {
  cchar_t c;
  if (setcchar(&c, text, attrs, pair, NULL) != OK) return ERR;
  return mvwadd_wch(stdscr, y, x, &c);
}

/// Reads one key: returns OK (a character), KEY_CODE_YES (a function key) or ERR (none).
static inline int fo_get_key(int *out) {
  wint_t ch = 0;
  int r = wget_wch(stdscr, &ch);
  *out = (int)ch;
  return r;
}

/// Ends curses once; safe to call from a signal handler's point of view as htop does.
static inline void fo_end(void) {
  if (fo_curses_active) {
    fo_curses_active = 0;
    endwin();
  }
}

static void fo_signal_handler(int sig) {
  fo_end();
  signal(sig, SIG_DFL);
  raise(sig);
}

static void fo_atexit(void) { fo_end(); }

/// Restores the terminal on SIGINT, SIGTERM, SIGHUP, SIGQUIT and on crashes (Swift traps end in
/// SIGILL or SIGTRAP), then lets the signal do what it would have done.
static inline void fo_install_handlers(void) {
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], fo_signal_handler);
  atexit(fo_atexit);
}

static inline void fo_mark_active(void) { fo_curses_active = 1; }

/// Whether the locale's character set is UTF-8 (after setlocale).
static inline int fo_locale_is_utf8(void) {
  const char *cs = nl_langinfo(CODESET);
  return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

#endif
