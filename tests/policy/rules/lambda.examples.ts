import { LambdaFunction, type LambdaFunctionConfig } from "@cdktf/provider-aws/lib/lambda-function";
import { synthFresh } from "../fresh-stack";

/** A synthesized stack with one Lambda function `f`, Node 22, plus what a rule's example sets. */
export const lambdaWith = (props: Partial<LambdaFunctionConfig> = {}) =>
  synthFresh((s) => {
    new LambdaFunction(s, "f", {
      functionName: "f",
      role: "arn:aws:iam::1:role/r",
      runtime: "nodejs22.x",
      handler: "index.handler",
      filename: "f.zip",
      ...props,
    });
  });
