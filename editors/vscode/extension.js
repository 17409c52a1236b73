// Starts `museslang lsp` (pip install 'museslang[lsp]') for .muses files.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace
    .getConfiguration("museslang")
    .get("command", ["museslang", "lsp"]);
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient(
    "museslang",
    "museslang",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "muses" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
