// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Writers behind the Export menu, for both workspaces.
#include "export/ComparisonExports.h"
#include "export/ExpertExports.h"
#include "export/ExportFiles.h"
#include "export/ReportPlot.h"
