#include "widgets/importwizard/recordhtml.h"

#include <QFileInfo>

namespace rlhf::widgets {

namespace {

QString escaped(const std::string& text, int maxChars)
{
    QString value = QString::fromUtf8(text);
    if (value.size() > maxChars) value = value.left(maxChars) + QChar(0x2026);
    return value.toHtmlEscaped().replace(QLatin1Char('\n'), QLatin1String("<br>"));
}

// Background tint per role: system grey, user blue, assistant green.
QString roleColour(const std::string& role)
{
    if (role == "system") return QStringLiteral("#eeeeee");
    if (role == "user") return QStringLiteral("#e3eefc");
    return QStringLiteral("#e6f4e6");
}

QString turnHtml(const std::string& role, const std::string& content, int maxChars)
{
    return QStringLiteral("<table width='100%' cellpadding='6' style='margin-bottom:4px'>"
                          "<tr><td bgcolor='%1'><b>%2</b><br>%3</td></tr></table>")
        .arg(roleColour(role), QString::fromStdString(role).toHtmlEscaped(),
             escaped(content, maxChars));
}

} // namespace

QString recordHtml(const data::Record& record, int maxChars)
{
    switch (record.kind) {
    case data::RecordKind::Text:
        return QStringLiteral("<p>%1</p>").arg(escaped(record.text, maxChars));
    case data::RecordKind::Chat: {
        QString html;
        for (const auto& message : record.messages)
            html += turnHtml(message.role, message.content, maxChars);
        return html;
    }
    case data::RecordKind::Preference: {
        QString html;
        for (const auto& message : record.messages)
            html += turnHtml(message.role, message.content, maxChars);
        html += QStringLiteral("<table width='100%' cellpadding='6' cellspacing='4'><tr>"
                               "<td width='50%' valign='top' bgcolor='#e6f4e6'><b>chosen</b><br>"
                               "%1</td><td width='50%' valign='top' bgcolor='#fbe9e7'>"
                               "<b>rejected</b><br>%2</td></tr></table>")
                    .arg(escaped(record.chosen, maxChars), escaped(record.rejected, maxChars));
        return html;
    }
    }
    return {};
}

QString recordsHtml(const std::vector<data::Record>& records, int maxChars)
{
    QString html;
    for (const auto& record : records) {
        if (!html.isEmpty()) html += QStringLiteral("<hr>");
        html += QStringLiteral("<p style='color:#666666'>%1:%2</p>")
                    .arg(QFileInfo(QString::fromStdString(record.source.file))
                             .fileName()
                             .toHtmlEscaped())
                    .arg(record.source.line);
        html += recordHtml(record, maxChars);
    }
    return html;
}

} // namespace rlhf::widgets
