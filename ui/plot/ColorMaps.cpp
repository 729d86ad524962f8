// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/ColorMaps.h"

namespace deltascope::ui {

QCPColorGradient sequentialGradient()
{
    // Nine samples of viridis; QCustomPlot interpolates between them.
    QCPColorGradient g;
    g.clearColorStops();
    const QColor stops[] = { QColor(0x44, 0x01, 0x54), QColor(0x47, 0x2c, 0x7a), QColor(0x3b, 0x51, 0x8b),
        QColor(0x2c, 0x71, 0x8e), QColor(0x21, 0x90, 0x8d), QColor(0x27, 0xad, 0x81), QColor(0x5c, 0xc8, 0x63),
        QColor(0xaa, 0xdc, 0x32), QColor(0xfd, 0xe7, 0x25) };
    for (int i = 0; i < 9; ++i)
        g.setColorStopAt(i / 8.0, stops[i]);
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    return g;
}

QCPColorGradient divergingGradient()
{
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorStopAt(0.0, QColor(0x00, 0x4a, 0x8f));
    g.setColorStopAt(0.25, QColor(0x56, 0xb4, 0xe9));
    g.setColorStopAt(0.5, QColor(0xf7, 0xf7, 0xf7));
    g.setColorStopAt(0.75, QColor(0xf0, 0xa0, 0x50));
    g.setColorStopAt(1.0, QColor(0xa0, 0x3c, 0x00));
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    return g;
}

} // namespace deltascope::ui
