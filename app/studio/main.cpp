// rlhf-studio: the desktop application. Thin: the application object, settings identity, and
// the main window, optionally opening the project folder given on the command line.
#include "widgets/window/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName("rlhf-studio");
    QApplication::setApplicationName("rlhf-studio");
    QApplication::setApplicationVersion(RLHF_VERSION);
    QApplication::setWindowIcon(QIcon::fromTheme("rlhf-studio"));
    QGuiApplication::setDesktopFileName("rlhf-studio"); // Wayland matches window and .desktop entry

    QCommandLineParser parser;
    parser.setApplicationDescription("RLHF Studio: train ChatGPT-style models on your own data");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("project", "Project folder to open");
    parser.process(app);

    rlhf::widgets::MainWindow window;
    window.resize(1280, 800);
    window.show();
    // The project named on the command line, else the last one (else the welcome page).
    if (!parser.positionalArguments().isEmpty())
        window.openProject(parser.positionalArguments().first());
    else
        window.openLastProject();
    return app.exec();
}
