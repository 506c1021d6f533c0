import { addPipelineStack, wantsPipeline } from './pipeline-app.ts';
import { addShellgateStack, checkedApp } from './shellgate-app.ts';

// One stack (`-c stage=dev|prod`, or the unstaged `Shellgate`), or the pipeline that deploys
// the stages (`-c pipeline=true`).
const app = checkedApp();
if (wantsPipeline(app.node)) addPipelineStack(app);
else addShellgateStack(app);
app.synth();
