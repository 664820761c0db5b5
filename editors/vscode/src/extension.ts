// Starts `credo lsp` for the workspace's `.credo` files. Everything else
// (diagnostics, completion, hover, lenses, hints) comes from the server.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration("credo");
  const command = config.get<string>("path") || "credo";
  const policies = config.get<string>("policies");
  const example = config.get<string>("example");
  const serverOptions: ServerOptions = {
    command,
    args: ["lsp", ...(policies ? ["--policies", policies] : [])],
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "credo" }],
    initializationOptions: example ? { example } : {},
    synchronize: {
      // Files changed outside the editor (a test file, a git checkout).
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{credo,yaml,yml}"),
      configurationSection: "credo",
    },
  };
  client = new LanguageClient("credo", "credo", serverOptions, clientOptions);
  // The server's own `credo.setExample` takes a path; this asks for one.
  context.subscriptions.push(
    vscode.commands.registerCommand("credo.chooseExample", async () => {
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        filters: { "Fact files": ["yaml", "yml", "json"] },
      });
      if (picked && picked[0] && client) {
        await client.sendRequest("workspace/executeCommand", {
          command: "credo.setExample",
          arguments: [picked[0].fsPath],
        });
      }
    }),
  );
  await client.start();
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}
