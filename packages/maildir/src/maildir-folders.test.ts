import {
  mkdirSync,
  readdirSync,
  realpathSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeMaildir, makeRoot } from "../test/fixture.ts";
import { MaildirFolders } from "./maildir-folders.ts";

describe("MaildirFolders", () => {
  it("on Linux reaches each folder through its descriptor: a swap after open is not followed", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.mine.host" }]);
    const elsewhere = path.join(root, "elsewhere");
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, "not-mail"), "x");
    const folders = await MaildirFolders.open({ maildir });
    try {
      expect(folders.path("new")).toMatch(/^\/proc\/self\/fd\/\d+$/);
      renameSync(path.join(maildir, "new"), path.join(maildir, "new.aside"));
      symlinkSync(elsewhere, path.join(maildir, "new"));
      // Not verified on purpose: the descriptor alone keeps the listing on the pinned folder.
      expect(await readdir(folders.path("new"))).toEqual(["1700000000.mine.host"]);
      await expect(folders.verify("new")).rejects.toMatchObject({ code: "sys-temp" });
      await expect(folders.verify("cur")).resolves.toBeUndefined();
    } finally {
      await folders.close();
    }
    expect(readdirSync(elsewhere)).toEqual(["not-mail"]);
  });

  it("follows <root>/<user> when it is a link, and pins the directory it resolves to", async () => {
    const root = makeRoot();
    const real = makeMaildir(root, "real");
    symlinkSync(real, path.join(root, "u"));
    const folders = await MaildirFolders.open({ maildir: path.join(root, "u") });
    try {
      writeFileSync(path.join(real, "cur", "1700000000.a.host:2,"), "a");
      expect(await readdir(folders.path("cur"))).toEqual(["1700000000.a.host:2,"]);
      await expect(folders.verify("cur")).resolves.toBeUndefined();
    } finally {
      await folders.close();
    }
  });

  it("takes inRealParent as it stands only when it is a directory and not a link", async () => {
    const root = makeRoot();
    const real = makeMaildir(root, "real");
    symlinkSync(real, path.join(root, "u"));
    // The shortcut names a link: resolved from `maildir`, as without it.
    const linked = await MaildirFolders.open({
      maildir: path.join(root, "u"),
      inRealParent: path.join(root, "u"),
    });
    await linked.close();
    expect(linked.realPath).toBe(realpathSync(real));
    // The shortcut names a real directory: used as it is (here, on purpose, another one).
    const other = makeMaildir(root, "other");
    const direct = await MaildirFolders.open({
      maildir: path.join(root, "u"),
      inRealParent: other,
    });
    await direct.close();
    expect(direct.realPath).toBe(other);
    // The shortcut names nothing: resolved from `maildir`.
    const missing = await MaildirFolders.open({
      maildir: path.join(root, "u"),
      inRealParent: path.join(root, "nobody"),
    });
    await missing.close();
    expect(missing.realPath).toBe(realpathSync(real));
  });
});
