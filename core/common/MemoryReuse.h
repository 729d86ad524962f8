// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace deltascope {

/// Keeps large freed blocks in the process for the next allocations instead of handing them back
/// to the system. Loading a run grows its sample lists by doubling, and each list that moves
/// frees the block it left; by default most blocks of a megabyte or more are returned at once, so that
/// every new one is faulted in page by page on first touch, a large share of loading a big table.
/// With this, a freed block serves the next list that grows. Call once, first thing in main();
/// a no-op where the C library has no such setting.
void keepLargeBlocksForReuse();

/// Whether keepLargeBlocksForReuse() took effect (for tests).
bool largeBlocksKeptForReuse();

} // namespace deltascope
