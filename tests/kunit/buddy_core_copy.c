// SPDX-License-Identifier: GPL-2.0
/* The pure core, compiled into the KUnit module for the buddy_core suite. */
#include "../../buddy_core.c"
